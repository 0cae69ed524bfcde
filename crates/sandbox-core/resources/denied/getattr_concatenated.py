# expect: dynamic-attribute
name = "__glo" + "bals__"
f = lambda: 0
print(getattr(f, name))
print(getattr(f, "__glo" "bals__"))
setattr(f, "__" + "code__", None)

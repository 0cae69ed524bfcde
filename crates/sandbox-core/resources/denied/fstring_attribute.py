# expect: introspection-attribute, format-introspection
def f():
    pass


print(f"{f.__globals__}")
print(f"{{0.__class__.__bases__}}".format(1))

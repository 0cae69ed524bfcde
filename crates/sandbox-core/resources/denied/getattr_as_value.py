# expect: dynamic-attribute
g = getattr
print(g(object, "__subclasses__"))
fetchers = [setattr, delattr]

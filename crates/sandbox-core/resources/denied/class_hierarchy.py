# expect: introspection-attribute
print(int.__mro__, bool.__base__, type(1).__bases__)
print(object.__getattribute__(1, "real"))
print(print.__self__)
m = [].append
print(m.__self__, m.__func__ if hasattr(m, "__func__") else None)

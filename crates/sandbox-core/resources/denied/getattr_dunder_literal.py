# expect: dynamic-attribute
class Box:
    pass


b = Box()
print(getattr(b, "__class__"))
delattr(b, "__dict__")
print(getattr(b, "size", 0))

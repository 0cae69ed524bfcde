# expect: introspection-attribute
def f():
    pass


g = f.__globals__
print(g["__builtins__"])
print(f.__code__.co_consts, f.__closure__, f.__defaults__)

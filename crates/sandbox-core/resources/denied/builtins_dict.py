# expect: introspection-attribute
b = __builtins__
print(__builtins__["eval"] if isinstance(__builtins__, dict) else __builtins__.eval)

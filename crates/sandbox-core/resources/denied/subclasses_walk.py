# expect: introspection-attribute
# The classic escape: from any object to every class in the interpreter.
for cls in ().__class__.__bases__[0].__subclasses__():
    if cls.__name__ == "catch_warnings":
        print(cls()._module.__builtins__["__import__"]("os"))

# expect: forbidden-builtin
__import__("os").system("id")

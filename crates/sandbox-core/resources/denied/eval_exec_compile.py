# expect: forbidden-builtin
print(eval("1 + 1"))
exec("import os")
code = compile("1", "<x>", "eval")

# expect: forbidden-builtin
x = 1
print(globals()["x"], locals(), vars())

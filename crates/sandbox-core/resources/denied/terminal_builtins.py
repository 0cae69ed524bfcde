# expect: forbidden-builtin
name = input("name? ")
help(len)
breakpoint()

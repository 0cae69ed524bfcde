# expect: module-internals
# Modules in literal containers, and in containers filled at run time.
import pathlib
import random

[pathlib][0].os.system("sh")
{"a": pathlib}["a"].os.system("sh")
(pathlib, random)[1]._os.system("sh")
mods = {}
mods["r"] = random
mods.get("r")._os.system("sh")
found = []
found.append(pathlib)
found[0].sys.modules
for m in (pathlib,):
    m.os.getcwd()
[x for x in [pathlib]][0].os.getcwd()
next(iter([pathlib])).os.getcwd()

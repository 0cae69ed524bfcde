# expect: module-internals
# `getattr` with a literal name reads the same attribute.
import pathlib
import random

getattr(pathlib, "os").system("sh")
getattr(random, "_os", None)
m = pathlib
getattr(m, "sys").modules

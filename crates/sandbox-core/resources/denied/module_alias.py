# expect: module-internals
# A module under another name is still the module: `m.os` is `pathlib.os`.
import pathlib
import random

m = pathlib
m.os.system("echo PWNED")
r = random
r._os.system("sh")
chain = pathlib.posixpath
chain.sys.modules
(alias := pathlib).os.getcwd()
first, second = 0, pathlib
second.sys.exit()

# expect: module-internals
# Standard-library modules keep denied modules under other names: `enum.bltns`
# is `builtins`; and a module bound by `from ... import` is still one.
import enum
from pathlib import posixpath

enum.bltns.print("hi")
posixpath.os.system("sh")

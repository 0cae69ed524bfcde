# expect: module-internals
# Allowed modules keep blocked ones as attributes.
import pathlib
import random
import typing

random._os.system("id")
typing.sys.modules["os"]
pathlib.os.getcwd()

# expect: forbidden-builtin, introspection-attribute
# A module's dictionary under another name.
import pathlib

m = pathlib
m.__dict__["os"].system("sh")
[pathlib][0].__dict__["os"]
vars(m)["os"]

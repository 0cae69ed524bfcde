# expect: blocked-import, dynamic-attribute, forbidden-builtin, introspection-attribute
# Every violation is reported, not just the first.
import os
import sys
import socket

data = eval(input())
cls = ().__class__.__bases__[0]
print(getattr(cls, data))

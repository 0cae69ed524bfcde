# expect: forbidden-builtin, introspection-attribute
import math

print(math.__dict__["sqrt"])
print(vars(math))

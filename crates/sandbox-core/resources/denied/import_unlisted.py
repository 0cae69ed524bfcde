# expect: blocked-import
# Modules on neither list are denied by the default policy.
import xml.etree.ElementTree as ET
import ctypes_helpers_that_do_not_exist

print(ET)

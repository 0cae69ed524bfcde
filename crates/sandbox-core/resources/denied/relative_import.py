# expect: blocked-import
from . import sibling
from ..pkg import thing

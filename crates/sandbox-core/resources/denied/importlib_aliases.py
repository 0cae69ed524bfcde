# expect: blocked-import
import importlib as il
from importlib import import_module

import_module("os")

# expect: module-internals
from random import _os
from typing import sys
from json import decoder, _default_decoder

# expect: dynamic-attribute
import operator
from operator import attrgetter, methodcaller

bases = operator.attrgetter("__class__.__bases__")(())
walk = attrgetter("__class__")
call = methodcaller("__subclasses__")
name = "x"
dynamic = attrgetter(name)

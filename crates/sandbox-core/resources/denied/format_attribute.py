# expect: format-introspection
# str.format does attribute access itself.
print("{0.__class__.__base__}".format(1))
print("{x.__init__.__globals__}".format(x=object()))
template = "{f._private}"

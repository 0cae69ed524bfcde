# expect: introspection-attribute
print(__loader__, __spec__)

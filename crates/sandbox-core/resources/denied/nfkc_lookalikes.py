# expect: blocked-import, forbidden-builtin, introspection-attribute
# Python compares identifiers after NFKC normalisation: these are `os`,
# `eval` and `__subclasses__`.
import ｏｓ
ｅｖａｌ("1")
object.__ｓｕｂｃｌａｓｓｅｓ__()

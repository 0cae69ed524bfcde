# expect: introspection-attribute
async def work():
    return 1


c = work()
print(c.cr_frame, c.cr_code)

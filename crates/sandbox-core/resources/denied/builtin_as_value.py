# expect: forbidden-builtin
# A reference runs the built-in as surely as a call.
run = eval
handlers = {"exec": exec}
print(run("2 * 21"))

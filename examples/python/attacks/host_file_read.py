# Read a host secret: the sandbox's root holds only the interpreter and
# its libraries, so the file is not there to read.
print(open("/etc/shadow").read())

# Write a file into a host directory by its absolute path.
# expect-status: error
# expect-stderr: FileNotFoundError
# forbid-stdout: WROTE
with open("{CANARY_DIR}/pwned.txt", "w") as f:
    f.write("pwned")
print("WROTE")

# Write one 2 MiB file past a 1 MiB file-size limit: a readable "File too large" error, not a kill.
# expect-status: error
# expect-stderr: File too large
# max-file-bytes: 1048576
with open("big.bin", "wb") as f:
    f.write(b"x" * (2 << 20))
print("WROTE 2 MiB")

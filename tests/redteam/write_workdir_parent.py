# Write above the work dir with ../ chains (on the host the test's temp dir sits three levels up).
# expect-status: ok
# expect-stdout: PARENTS READ-ONLY
# forbid-stdout: WROTE
wrote = False
for depth in range(1, 8):
    path = "../" * depth + "{MARKER}"
    try:
        with open(path, "w") as f:
            f.write("pwned")
        print("WROTE", path)
        wrote = True
    except OSError as e:
        print(path, "->", type(e).__name__)
if not wrote:
    print("PARENTS READ-ONLY")

# Memory bomb: keep 16 MiB blocks of touched memory until the 64 MiB limit stops the program.
# expect-status: memory_limit
# expect-message: memory limit
# memory-mb: 64
# timeout: 10
# max-seconds: 8
# host-responsive: yes
blocks = []
while True:
    blocks.append(b"\x01" * (16 << 20))
    print(len(blocks) * 16, "MiB", flush=True)

# Allocate far more than the memory limit.
blocks = []
while True:
    blocks.append(bytearray(16 * 1024 * 1024))

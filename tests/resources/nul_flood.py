# A program whose output escapes worst: 1 MiB of NUL bytes on stdout and on
# stderr (six bytes of JSON each) and 16 MiB of NUL files (a third more as
# base64), every output cap at its default.
print('\0' * (1 << 20), end='', flush=True)
err = open(2, 'w', closefd=False)
err.write('\0' * (1 << 20))
err.flush()
for i in range(4):
    with open(f'zeros{i}.bin', 'wb') as f:
        f.write(b'\0' * (4 << 20))

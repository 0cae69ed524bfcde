# Stress the host-side output-file collector: directories nested past PATH_MAX, names that are not UTF-8, a symlink
# loop, a directory symlink to /, and more files than it returns. The run still ends promptly and cleanly.
# expect-status: ok
# expect-stdout: TREE BUILT
# max-seconds: 10
import os

path = "deep"
os.mkdir(path)
fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
for depth in range(1500):  # about 6 KB of path: deeper than PATH_MAX
    os.mkdir("d" * 3, dir_fd=fd)
    next_fd = os.open("ddd", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = next_fd
with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
    f.write("deep")
os.close(fd)
with open(b"not-utf8-\xff\xfe.txt", "w") as f:
    f.write("x")
with open("new\nline.txt", "w") as f:
    f.write("x")
os.symlink("loop", "loop")
os.symlink("/", "root_link")
os.mkdir("many")
for i in range(500):
    with open(f"many/{i}.txt", "w") as f:
        f.write(str(i))
print("TREE BUILT")

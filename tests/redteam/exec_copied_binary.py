# Copy a binary into the writable work dir and /tmp, mark it executable and run it.
# expect-status: ok
# expect-stdout: /sandbox copy: blocked
# expect-stdout: /tmp copy: blocked
# forbid-stdout: RAN
import os
import shutil
import subprocess

for label, directory in (("/sandbox copy", "/sandbox"), ("/tmp copy", "/tmp")):
    target = os.path.join(directory, "mytrue")
    shutil.copyfile("/usr/bin/true", target)
    os.chmod(target, 0o755)
    try:
        subprocess.run([target], check=True)
        print("RAN", label)
    except OSError as e:
        print(label + ": blocked", type(e).__name__, e)

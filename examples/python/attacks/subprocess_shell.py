# Start a shell: landlock lets only the interpreter execute.
import subprocess
print(subprocess.run(["/bin/sh", "-c", "id"], capture_output=True, text=True).stdout)

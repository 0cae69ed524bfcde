# Start a shell: nothing is executed after the interpreter starts.
import subprocess
print(subprocess.run(["/bin/sh", "-c", "id"], capture_output=True, text=True).stdout)

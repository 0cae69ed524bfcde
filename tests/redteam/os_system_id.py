# Run a shell command with os.system('id'): /bin/sh may not be executed, so the shell never starts.
# expect-status: ok
# expect-stdout: os.system exit code 127
# forbid-stdout: uid=
import os

status = os.system("id")
print("os.system exit code", os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status))

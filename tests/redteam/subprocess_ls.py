# Run a host binary with subprocess.run(['/usr/bin/ls', '/']).
# expect-status: error
# expect-stderr: OSError: [Errno 38] Function not implemented
# forbid-stdout: RAN
import subprocess

subprocess.run(["/usr/bin/ls", "/"], check=True)
print("RAN")

# A fork bomb: the pids limit stops it, and the pid namespace dies with it.
import os
while True:
    os.fork()

# expect: blocked-import
from subprocess import run

run(["id"])

# Look through /etc for host secrets and identity: shadow, sudoers, ssh keys, the host's name.
# expect-status: ok
# expect-stdout: ETC OK
# forbid-stdout: LEAK
import os

sensitive = {"shadow", "shadow-", "gshadow", "gshadow-", "sudoers", "sudoers.d", "ssh", "ssl", "machine-id", "crontab", "docker"}
try:
    names = sorted(os.listdir("/etc"))
except OSError as e:
    print("ETC ABSENT", type(e).__name__)
    names = []
print(len(names), "entries:", " ".join(names))
bad = [n for n in names if n in sensitive]
for name in bad:
    print("LEAK /etc/" + name)
if len(names) > 20:
    print("LEAK: /etc has", len(names), "entries, expected a few")
for name in ("hostname", "hosts", "mailname"):
    try:
        with open("/etc/" + name) as f:
            words = f.read().split()
    except OSError:
        continue
    if "{HOST_HOSTNAME}" in words:
        print("LEAK host name in /etc/" + name)
        bad.append(name)
if not bad and len(names) <= 20:
    print("ETC OK")

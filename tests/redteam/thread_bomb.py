# Thread bomb: start threads until the limit refuses, keep trying for 2 s; the host must stay responsive.
# expect-status: error
# expect-stdout: THREAD REFUSED
# expect-stderr: can't start new thread
# timeout: 10
# max-seconds: 8
# host-responsive: yes
# tier: cgroups
import threading
import time

first_error = None
threads = 0
deadline = None
while threads < 20000 and (deadline is None or time.time() < deadline):
    try:
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    except RuntimeError as e:
        if first_error is None:
            first_error = e
            deadline = time.time() + 2
            print("THREAD REFUSED after", threads, "threads:", e, flush=True)
        continue
    threads += 1
if first_error is None:
    print("NO THREAD LIMIT: started", threads)
    raise SystemExit(3)
raise first_error

# Sleep (no CPU used, so no CPU-time limit helps) past the 1 s timeout: the wall clock ends it within timeout + 1 s.
# expect-status: timeout
# expect-message: timed out
# timeout: 1
# max-seconds: 2
import time

print("sleeping", flush=True)
time.sleep(600)

# A CPU loop that never ends: killed at the 1 s timeout, reported as a timeout within timeout + 1 s.
# expect-status: timeout
# expect-message: timed out
# timeout: 1
# max-seconds: 2
while True:
    pass

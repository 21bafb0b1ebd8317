"""A synthetic trainer for the end-to-end tests: reports steps through the real keelson client,
then (optionally) hangs: stays alive without reporting, like a rank stuck in a collective."""
import argparse
import math
import sys
import time

import keelson

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20)
p.add_argument("--interval", type=float, default=0.2)
p.add_argument("--hang-seconds", type=float, default=0.0)
a = p.parse_args()

start = time.monotonic()
for step in range(1, a.steps + 1):
    # Sleep to an absolute schedule so the interval does not drift with the report's own cost.
    time.sleep(max(0.0, start + step * a.interval - time.monotonic()))
    keelson.report(step, loss=5.0 * math.exp(-step / 50) + 1.0, tokens=4096)
print(f"last step {a.steps} reported at {time.time():.3f}", flush=True)
if a.hang_seconds > 0:
    time.sleep(a.hang_seconds)
sys.exit(0)

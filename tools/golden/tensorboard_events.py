"""Reads a folder of TensorBoard event files with TensorBoard's own reader (EventAccumulator, the
tensorboard package pinned in requirements-tracking.txt) and prints every scalar series as JSON:
{"scalars": {tag: [[step, value, wall_time], ...]}, "files": n}. Non-finite values print as strings
("nan", "inf"). Used by tests/tracking to check the event files ftune writes.

Usage: "$(tools/golden/setup-venv.sh tracking)/bin/python" tools/golden/tensorboard_events.py DIR
"""
import json
import math
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def number(x):
    return x if math.isfinite(x) else str(x)


def main(folder):
    files = [f for f in os.listdir(folder) if "tfevents" in f]
    # size_guidance 0: keep every event (the default samples 10,000 scalars per tag)
    acc = EventAccumulator(folder, size_guidance={"scalars": 0})
    acc.Reload()
    scalars = {
        tag: [[e.step, number(e.value), e.wall_time] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]
    }
    print(json.dumps({"scalars": scalars, "files": len(files)}))


if __name__ == "__main__":
    main(sys.argv[1])

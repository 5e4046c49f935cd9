"""Waiting for what another process does."""

import time


def eventually(condition, seconds: float = 30, interval: float = 0.1) -> bool:
    """Whether ``condition`` holds within ``seconds``, asked every ``interval``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True

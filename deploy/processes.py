"""What the deploy scripts share: a daemon is up once its pid file is written."""

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path


def wait_for_pid_file(pid_file: Path, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip():
            return
        time.sleep(0.05)
    sys.exit(f"{name} did not start: see {pid_file.parent}")


def start_afresh(directory: Path, stop: Callable[[Path], None]) -> None:
    """A start from the command line replaces what an earlier one left there."""
    if directory.exists():
        stop(directory)
        shutil.rmtree(directory)

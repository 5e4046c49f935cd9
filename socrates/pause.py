"""Pause points, for tests that kill a process at a known place.

With ``TEST_PAUSE_DIR`` set (tests only; never in production), the first
process to reach ``pause_point(name)`` writes its pid to ``<dir>/<name>`` and
waits there, so that a test can kill it at exactly that place; any process
reaching it later (the work delivered again) finds the file and goes on.
Unset, a pause point is one attribute read.
"""

import os
import time
from pathlib import Path

from django.conf import settings

# Long enough for any test to act; a process nobody kills goes on after it.
PAUSE_SECONDS = 60


def pause_point(name: str) -> None:
    directory = settings.TEST_PAUSE_DIR
    if not directory:
        return
    marker = Path(directory) / name
    # Written aside, then linked: the marker appears whole, and only once.
    draft = marker.with_name(f"{name}.{os.getpid()}")
    draft.write_text(str(os.getpid()))
    try:
        os.link(draft, marker)
    except FileExistsError:
        return
    finally:
        draft.unlink()
    time.sleep(PAUSE_SECONDS)

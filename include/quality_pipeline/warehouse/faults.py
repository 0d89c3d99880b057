"""Named places where the crash tests stop a real writer process, so they can `kill -9` it there."""

from __future__ import annotations

import os
import time
from pathlib import Path


def fault_point(name: str) -> None:
    """With QUALITY_FAULT_PAUSE_AT=<name>, write our pid to QUALITY_FAULT_SIGNAL and wait to be killed.

    Unset (always, outside those tests) it does nothing.
    """
    if os.environ.get("QUALITY_FAULT_PAUSE_AT") != name:
        return
    Path(os.environ["QUALITY_FAULT_SIGNAL"]).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("QUALITY_FAULT_PAUSE_S", "120")))

"""One guard against hangs for the bad-input tests: ``SIGALRM`` after a time limit."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def time_limit(seconds: int, what: str) -> Iterator[None]:
    """Raise ``TimeoutError`` naming ``what`` if the block runs longer than ``seconds``.

    A case that blocks (reading a FIFO, a corrupted file looping in a C library) then fails
    instead of hanging the suite. Main thread only (``signal.alarm``).
    """

    def boom(signum: int, frame: Any) -> None:
        raise TimeoutError(f"{what} still running after {seconds} s (a hang)")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)

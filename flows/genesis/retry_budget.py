"""The time one run may spend retrying GENESIS, in total.

Counted is the wall time during which at least one request has failed and has no usable answer
yet: its failed attempts and the waits between them. Requests retrying at the same time (up to 3
fetch threads) count once, so the budget means the same with one thread or three, and a run with
many requests does not multiply it. A request that gets its answer stops counting.
"""

import threading
import time
from collections.abc import Callable


class RetryBudget:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failing: list[list[float | None]] = []  # [first failed attempt began, answered or given up]

    def start(self, since: float) -> int:
        """A request failed (its failed attempt began at `since`, by this budget's clock); returns
        the handle for finish()."""
        with self._lock:
            self._failing.append([since, None])
            return len(self._failing) - 1

    def finish(self, handle: int) -> None:
        """The request got its answer, or gave up."""
        with self._lock:
            self._failing[handle][1] = self._clock()

    def now(self) -> float:
        return self._clock()

    def spent(self) -> float:
        """Seconds of the run during which at least one request was failing."""
        now = self._clock()
        with self._lock:
            spans = sorted((start, now if end is None else end) for start, end in self._failing)
        total, covered_until = 0.0, float("-inf")
        for start, end in spans:
            if end > covered_until:
                total += end - max(start, covered_until)
                covered_until = end
        return total

    def remaining(self) -> float:
        return max(self.seconds - self.spent(), 0.0)

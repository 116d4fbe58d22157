import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], *, repeat: int = 5) -> float:
    """The fastest of `repeat` runs, in seconds: the least disturbed by other load."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)

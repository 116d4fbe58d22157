"""Running a renderer in a child process with limits on its time and memory.

WeasyPrint's own security notes list long renderings, infinite loops and huge
CSS values among its risks (V-8). The layout therefore runs in a forked child:
a runaway document costs the child, which is stopped at its CPU-time or memory
limit or at a wall-clock deadline, and never the web worker or the command that
asked. Fork rather than a fresh interpreter: the child starts with WeasyPrint
and the fonts already loaded, so isolation costs milliseconds, not the second
of a cold start. The child touches neither the database nor any file beyond
what its function fetches, and leaves through os._exit, so nothing of the
parent (database connections, temporary files) is closed or flushed twice.
"""

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable

from empact.errors import UserError

_OK, _FAILED = b"0", b"1"
_OUT_OF_MEMORY = 3  # the child's exit code when it could not get the memory


class RenderingStopped(UserError):
    """The child went past a limit, or died: the document could not be made."""


def run_in_child(
    fn: Callable[[], object], *, cpu_seconds: int, memory_bytes: int, wall_seconds: int
):
    """fn()'s result (picklable), computed in a forked child under the limits.

    An exception raised by fn is raised here again (pickled across); a child that
    exceeds a limit or dies raises RenderingStopped naming the limit."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(fn, write_end, cpu_seconds, memory_bytes)
    os.close(write_end)
    try:
        payload = _read_all(read_end, deadline=time.monotonic() + wall_seconds)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise RenderingStopped(
            f"the document was still being laid out after {wall_seconds} s and "
            "was stopped; ask for a shorter period or fewer OAs"
        ) from None
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if payload[:1] == _OK:
        return pickle.loads(payload[1:])
    if payload[:1] == _FAILED:
        raise pickle.loads(payload[1:])
    raise RenderingStopped(_death(status, cpu_seconds, memory_bytes))


def _child(fn, write_end: int, cpu_seconds: int, memory_bytes: int) -> None:
    code = 1
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        # The child already maps what the parent had; the limit is what it may add.
        limit = _address_space() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            payload = _OK + pickle.dumps(fn(), pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            raise
        # WeasyPrint's fatal fetch error is a BaseException: hand it over too.
        except BaseException as e:
            payload = _FAILED + _pickled_error(e)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        code = 0
    except MemoryError:
        code = _OUT_OF_MEMORY
    except BaseException:
        pass
    finally:
        os._exit(code)


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _pickled_error(error: BaseException) -> bytes:
    try:
        return pickle.dumps(error, pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: keep its words
        return pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))


def _read_all(fd: int, *, deadline: float) -> bytes:
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _death(status: int, cpu_seconds: int, memory_bytes: int) -> str:
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (
        signal.SIGXCPU,
        signal.SIGKILL,
    ):
        return (
            f"laying out the document took more than {cpu_seconds} s of CPU time "
            "and was stopped; ask for a shorter period or fewer OAs"
        )
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _OUT_OF_MEMORY:
        return (
            f"laying out the document needed more than {memory_bytes // 2**20} MiB "
            "of memory and was stopped; ask for a shorter period or fewer OAs"
        )
    return "the program that lays out the document stopped unexpectedly"

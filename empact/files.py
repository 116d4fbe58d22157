"""Writing a file whole, for the commands that write one (`empact report -o`,
`empact reporting template -o`, `empact analysis crossmatch --out`)."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from empact.errors import UserError


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole (see `whole_file`)."""
    with whole_file(path) as f:
        f.write(data)


@contextmanager
def whole_file(path: Path, *, text: bool = False) -> Iterator[IO]:
    """A file to write in place of `path`: written beside it, flushed to disk,
    then renamed over `path` when the block ends, so a process killed or failing
    half-way leaves the previous file or none at `path`, never a torn one (T-18).
    The file is readable by its owner only, as the analysis store's files are.
    UserError names the path and why when it cannot be written. `text`: a UTF-8
    text file with newline="" (for csv.writer)."""
    try:
        fd, partial = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
    except OSError as e:
        raise UserError(f"{path}: cannot write there ({e.strerror})") from None
    try:
        mode = (
            {"mode": "w", "encoding": "utf-8", "newline": ""}
            if text
            else {"mode": "wb"}
        )
        with os.fdopen(fd, **mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except OSError as e:
        Path(partial).unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write it ({e.strerror})") from None
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise

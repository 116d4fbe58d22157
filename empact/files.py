"""Writing a file whole, for the commands that write one (`empact report -o`,
`empact reporting template -o`)."""

import os
import tempfile
from pathlib import Path

from empact.errors import UserError


def write_whole(path: Path, data: bytes) -> None:
    """Write beside `path`, flush it to disk, then rename it over `path`: a process
    killed or failing half-way leaves the previous file or none at `path`, never a
    torn one (T-18). The file is readable by its owner only, as the analysis
    store's files are. UserError names the path and why when it cannot be written.
    """
    try:
        fd, partial = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
    except OSError as e:
        raise UserError(f"-o {path}: cannot write there ({e.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except OSError as e:
        Path(partial).unlink(missing_ok=True)
        raise UserError(f"-o {path}: cannot write it ({e.strerror})") from None
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise

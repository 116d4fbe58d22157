"""The engine's errors: bad input, told as where (file, line, column), what and why."""

from __future__ import annotations

from collections.abc import Sequence


class InputError(Exception):
    """One problem in a file given to the engine, located as precisely as it can be.

    `line` is 1-based (the header is line 1 of a CSV file, row 1 of a sheet);
    `column` is the column name when known, else its 1-based position; either may
    be None when the problem is about the whole file.
    """

    def __init__(
        self,
        path: str,
        line: int | None,
        column: str | int | None,
        reason: str,
        *,
        sheet: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = reason
        self.sheet = sheet
        super().__init__(str(self))

    def location(self) -> str:
        parts = [self.path]
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.reason}"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Exceptions pickle through args; keep the fields when sent to a worker.
        return (_rebuild, (self.path, self.line, self.column, self.reason, self.sheet))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputError) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def _rebuild(
    path: str,
    line: int | None,
    column: str | int | None,
    reason: str,
    sheet: str | None,
) -> InputError:
    return InputError(path, line, column, reason, sheet=sheet)


class InputRejected(Exception):
    """A whole file refused: every problem found in it, nothing written."""

    def __init__(
        self, path: str, errors: Sequence[InputError], *, truncated: bool = False
    ) -> None:
        self.path = str(path)
        self.errors = list(errors)
        self.truncated = truncated
        super().__init__(str(self))

    def __str__(self) -> str:
        more = " (and more; the first ones are shown)" if self.truncated else ""
        head = f"{self.path}: {len(self.errors)} problem(s){more}, nothing imported"
        return "\n".join([head, *(f"  {e}" for e in self.errors)])

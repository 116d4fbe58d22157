"""Streaming readers for CSV, XLSX and followthemoney JSON lines.

Each reader yields batches of rows (or entities) and appends every problem it finds
to `errors` as an `InputError` naming path, sheet, line, column and reason. A
problem in one row does not stop the reading, so that a file is reported once with
all its mistakes; a problem that makes the rest unreadable (bad encoding, a broken
quote, a corrupt workbook) ends the reading with that error.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from empact.engine.errors import InputError

MAX_FIELD = 65_536  # characters in one CSV/XLSX cell
MAX_JSON_LINE = 8 * 1024 * 1024  # bytes in one FtM JSON line
MAX_ID = 1024  # characters in an FtM entity id
MAX_XLSX_MEMBERS = 1_000
MAX_XLSX_UNCOMPRESSED = 4 * 1024**3
MAX_XLSX_RATIO = 250  # a zip bomb compresses far better than any real sheet

_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: CSV UTF-8)"


class Errors(list[InputError]):
    """The problems found so far; `fatal` when reading had to stop."""

    fatal: bool = False


@dataclass
class RowBatch:
    """Rows of a table: `lines[i]` is where row i starts; columns hold cell text."""

    lines: list[int] = field(default_factory=list)
    columns: dict[str, list[str | None]] = field(default_factory=dict)
    sheet: str | None = None  # XLSX only

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class EntityBatch:
    """FtM entities as given: (line, id, schema, properties)."""

    entities: list[tuple[int, str, str, dict[str, list[str]]]] = field(
        default_factory=list
    )

    def __len__(self) -> int:
        return len(self.entities)


def check_text_file(path: Path, errors: Errors) -> bool:
    """Reject empty, binary and UTF-16/32 files before parsing them."""
    with path.open("rb") as f:
        head = f.read(4096)
    reason = None
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        reason = "the file is empty"
    elif any(head.startswith(bom) for bom, _ in _WIDE_BOMS):
        name = next(n for bom, n in _WIDE_BOMS if head.startswith(bom))
        reason = f"the file is {name} text; {_SAVE_AS_UTF8}"
    elif head.startswith(b"PK\x03\x04"):
        reason = "this is a ZIP/XLSX file, not text; give it the .xlsx extension"
    elif b"\x00" in head:
        reason = f"the file contains NUL bytes: it is binary or UTF-16; {_SAVE_AS_UTF8}"
    if reason:
        errors.append(InputError(str(path), None, None, reason))
        errors.fatal = True
    return reason is None


# --- CSV


def read_csv(
    path: Path, *, delimiter: str, batch_rows: int, errors: Errors
) -> Iterator[tuple[list[str], RowBatch]]:
    """Yield (header, batch) for each batch of rows of a UTF-8 CSV file."""
    if not check_text_file(path, errors):
        return
    with path.open("rb") as raw:
        lines = _Utf8Lines(raw)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        rows = _csv_rows(path, reader, lines, errors)
        header = next(rows, None)
        if header is None:
            if not errors:
                errors.append(InputError(str(path), 1, None, "no header row"))
            errors.fatal = True
            return
        yield from _batches(path, header[1], rows, batch_rows, errors)


class _Utf8Lines:
    """The file's lines decoded one by one, so a decoding error knows its line."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.line = 0

    def __iter__(self) -> _Utf8Lines:
        return self

    def __next__(self) -> str:
        data = self.raw.readline()
        if not data:
            raise StopIteration
        self.line += 1
        if self.line == 1:
            data = data.removeprefix(codecs.BOM_UTF8)
        return str(data.decode("utf-8"))


def _csv_rows(
    path: Path, reader: Any, lines: _Utf8Lines, errors: Errors
) -> Iterator[tuple[int, list[str]]]:
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as error:
            byte = error.object[error.start]
            reason = f"not UTF-8 text (byte 0x{byte:02x}); {_SAVE_AS_UTF8}"
            errors.append(InputError(str(path), lines.line, None, reason))
            errors.fatal = True
            return
        except csv.Error as error:
            reason = f"unreadable CSV ({error}); check quotes and field sizes"
            errors.append(InputError(str(path), reader.line_num, None, reason))
            errors.fatal = True
            return
        if row:
            yield line, row
        line = reader.line_num + 1


def _batches(
    path: Path,
    header: list[str],
    rows: Iterator[tuple[int, list[Any]]],
    batch_rows: int,
    errors: Errors,
    sheet: str | None = None,
) -> Iterator[tuple[list[str], RowBatch]]:
    names = [str(h).strip() if h is not None else "" for h in header]
    if not _check_header(path, names, errors, sheet):
        return
    batch = _new_batch(names, sheet)
    seen_rows = False
    for line, row in rows:
        seen_rows = True
        if len(row) != len(names):
            reason = f"{len(row)} fields where the header has {len(names)}"
            errors.append(InputError(str(path), line, None, reason, sheet=sheet))
            continue
        cells = [
            _cell(path, line, names[i], v, errors, sheet) for i, v in enumerate(row)
        ]
        batch.lines.append(line)
        for name, cell in zip(names, cells, strict=True):
            batch.columns[name].append(cell)
        if len(batch) >= batch_rows:
            yield names, batch
            batch = _new_batch(names, sheet)
    if not seen_rows and not errors.fatal:
        errors.append(
            InputError(str(path), 2, None, "no rows after the header", sheet=sheet)
        )
        errors.fatal = True
    if len(batch):
        yield names, batch


def _new_batch(names: list[str], sheet: str | None) -> RowBatch:
    return RowBatch(columns={n: [] for n in names}, sheet=sheet)


def _check_header(
    path: Path, names: list[str], errors: Errors, sheet: str | None
) -> bool:
    problems: list[tuple[str | int, str]] = []
    for position, name in enumerate(names, start=1):
        if not name:
            problems.append((position, "the header cell is empty"))
        elif names.index(name) != position - 1:
            problems.append((name, f"column {name!r} appears twice in the header"))
    for column, reason in problems:
        errors.append(InputError(str(path), 1, column, reason, sheet=sheet))
    if problems:
        errors.fatal = True
    return not problems


def _cell(
    path: Path, line: int, column: str, value: Any, errors: Errors, sheet: str | None
) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else _cell_text(value)
    if len(text) > MAX_FIELD:
        reason = f"{len(text)} characters, more than the {MAX_FIELD} allowed in a cell"
        errors.append(InputError(str(path), line, column, reason, sheet=sheet))
        return None
    if "\x00" in text:
        errors.append(
            InputError(str(path), line, column, "contains a NUL character", sheet=sheet)
        )
        return None
    text = text.strip()
    return text or None


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and ids typed into number cells
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- XLSX


def read_xlsx(
    path: Path, *, sheet: str | None, batch_rows: int, errors: Errors
) -> Iterator[tuple[list[str], RowBatch]]:
    """Yield (header, batch) from one sheet of a workbook, read streaming."""
    import openpyxl  # imported here: only XLSX ingestion pays for it

    if not _check_workbook_zip(path, errors):
        return
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many types for a corrupt workbook
        errors.append(
            InputError(str(path), None, None, f"not a readable XLSX workbook ({error})")
        )
        errors.fatal = True
        return
    try:
        if sheet is not None and sheet not in book.sheetnames:
            reason = (
                f"no sheet {sheet!r}; the workbook has {', '.join(book.sheetnames)}"
            )
            errors.append(InputError(str(path), None, None, reason))
            errors.fatal = True
            return
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = _xlsx_rows(path, ws, errors)
        header = next(rows, None)
        if header is None:
            errors.append(
                InputError(str(path), None, None, "the sheet is empty", sheet=ws.title)
            )
            errors.fatal = True
            return
        width = len(header[1])
        padded = ((line, _fit(row, width)) for line, row in rows)
        yield from _batches(path, header[1], padded, batch_rows, errors, sheet=ws.title)
    finally:
        book.close()


def _fit(row: list[Any], width: int) -> list[Any]:
    # Sheets store no trailing empty cells, and formatting can add empty ones.
    if len(row) < width:
        return row + [None] * (width - len(row))
    if len(row) > width and all(v is None for v in row[width:]):
        return row[:width]
    return row


def _xlsx_rows(path: Path, ws: Any, errors: Errors) -> Iterator[tuple[int, list[Any]]]:
    header_width = None
    for cells in ws.iter_rows():
        values = []
        line = None
        for cell in cells:
            if getattr(cell, "row", None) is not None:
                line = cell.row
            values.append(_xlsx_value(path, ws.title, cell, errors))
        while (
            values
            and values[-1] is None
            and (header_width is None or len(values) > header_width)
        ):
            values.pop()
        if not values or all(v is None for v in values):
            continue
        if header_width is None:
            header_width = len(values)
        yield line or 0, values


def _xlsx_value(path: Path, sheet: str, cell: Any, errors: Errors) -> Any:
    kind = getattr(cell, "data_type", None)
    if kind == "f":
        reason = "a formula; paste the values instead (formulas are not imported)"
        errors.append(
            InputError(str(path), cell.row, cell.column_letter, reason, sheet=sheet)
        )
        return None
    if kind == "e":
        reason = f"an error value {cell.value!r}"
        errors.append(
            InputError(str(path), cell.row, cell.column_letter, reason, sheet=sheet)
        )
        return None
    return cell.value


def _check_workbook_zip(path: Path, errors: Errors) -> bool:
    reason = None
    try:
        with path.open("rb") as f:
            magic = f.read(4)
        if magic != b"PK\x03\x04":
            reason = "not an XLSX workbook (it does not start as a ZIP file)"
        else:
            with zipfile.ZipFile(path) as archive:
                reason = _zip_problem(archive.infolist())
    except (OSError, zipfile.BadZipFile) as error:
        reason = f"not a readable XLSX workbook ({error})"
    if reason:
        errors.append(InputError(str(path), None, None, reason))
        errors.fatal = True
    return reason is None


def _zip_problem(members: list[zipfile.ZipInfo]) -> str | None:
    if len(members) > MAX_XLSX_MEMBERS:
        return f"the workbook has {len(members)} parts; a sheet has a few dozen"
    if sum(m.file_size for m in members) > MAX_XLSX_UNCOMPRESSED:
        return "the workbook unpacks to more than 4 GiB"
    for m in members:
        if "vbaProject" in m.filename:
            return "the workbook contains macros; save it as a plain .xlsx"
        if m.filename.startswith("xl/externalLinks/"):
            return "the workbook links to other files; paste the values instead"
        if m.file_size > 10 * 1024**2 and m.file_size > MAX_XLSX_RATIO * max(
            m.compress_size, 1
        ):
            ratio = m.file_size // max(m.compress_size, 1)
            return f"{m.filename} is compressed {ratio} times: a zip bomb?"
    return None


# --- FtM JSON lines


def read_ftm(path: Path, *, batch_rows: int, errors: Errors) -> Iterator[EntityBatch]:
    """Yield batches of followthemoney entities, one JSON object per line."""
    from followthemoney import model

    if not check_text_file(path, errors):
        return
    batch = EntityBatch()
    with path.open("rb") as f:
        for line, data in enumerate(_json_lines(path, f, errors), start=1):
            if data is None:
                continue
            entity = _ftm_entity(path, line, data, model, errors)
            if entity is not None:
                batch.entities.append(entity)
            if len(batch) >= batch_rows:
                yield batch
                batch = EntityBatch()
    if len(batch):
        yield batch


def _json_lines(path: Path, f: Any, errors: Errors) -> Iterator[Any]:
    line = 0
    while True:
        raw = f.readline(MAX_JSON_LINE + 1)
        if not raw:
            return
        line += 1
        if len(raw) > MAX_JSON_LINE and not raw.endswith(b"\n"):
            errors.append(
                InputError(str(path), line, None, f"longer than {MAX_JSON_LINE} bytes")
            )
            while (rest := f.readline(MAX_JSON_LINE)) and not rest.endswith(b"\n"):
                pass
            yield None
            continue
        if line == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if not raw.strip():
            yield None
            continue
        try:
            yield json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            reason = f"not UTF-8 text (byte 0x{raw[error.start]:02x}); {_SAVE_AS_UTF8}"
            errors.append(InputError(str(path), line, None, reason))
            yield None
        except ValueError as error:
            errors.append(
                InputError(str(path), line, None, f"not a JSON object ({error})")
            )
            yield None


def _ftm_entity(
    path: Path, line: int, data: Any, model: Any, errors: Errors
) -> tuple[int, str, str, dict[str, list[str]]] | None:
    def bad(column: str | None, reason: str) -> None:
        errors.append(InputError(str(path), line, column, reason))

    if not isinstance(data, dict):
        bad(None, "not a JSON object with id, schema and properties")
        return None
    entity_id, schema_name = data.get("id"), data.get("schema")
    properties = data.get("properties", {})
    if (
        not isinstance(entity_id, str)
        or not entity_id.strip()
        or len(entity_id) > MAX_ID
    ):
        bad("id", f"an entity needs an id: a string of 1 to {MAX_ID} characters")
        return None
    schema = model.get(schema_name) if isinstance(schema_name, str) else None
    if schema is None:
        bad("schema", f"{schema_name!r} is not a followthemoney schema")
        return None
    if not isinstance(properties, dict):
        bad("properties", "expected an object of property: [values]")
        return None
    clean: dict[str, list[str]] = {}
    for prop, values in properties.items():
        if schema.get(prop) is None:
            bad(f"properties.{prop}", f"{schema.name} has no property {prop!r}")
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            bad(f"properties.{prop}", "expected a list of strings")
            continue
        too_long = [v for v in values if len(v) > MAX_FIELD]
        if too_long:
            bad(f"properties.{prop}", f"a value is longer than {MAX_FIELD} characters")
            continue
        if any("\x00" in v for v in values):
            bad(f"properties.{prop}", "contains a NUL character")
            continue
        clean[prop] = values
    return line, entity_id.strip(), schema.name, clean

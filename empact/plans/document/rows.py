"""The document text as rows: each paragraph, table row or HTML table row as plain text.

The Council's OAP text mixes markdown-like pipe tables, plain paragraphs and HTML
pasted into table cells (`<p>`, `<i>`, `<ul>`, whole `<table>`s). A `Row` is one
logical line of it: its cells as plain text, and the number of the source line it
came from, so that every problem can name a line.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_SEPARATOR_ROW = re.compile(r"^\|[\s|:\-]*\|$")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_BLOCK_TAGS = frozenset(
    {"p", "div", "ul", "ol", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_CELL_TAGS = frozenset({"td", "th"})


@dataclass(frozen=True)
class Row:
    """One logical line of the document: a paragraph (one cell) or a table row."""

    line: int
    cells: tuple[str, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        """The non-empty cells."""
        return tuple(cell for cell in self.cells if cell)

    @property
    def text(self) -> str:
        """The non-empty cells joined by a space."""
        return " ".join(self.texts)


def collapsed(text: str) -> str:
    """The text with every run of whitespace made one space."""
    return " ".join(text.split())


class _HtmlBlocks(HTMLParser):
    """The paragraphs of an HTML fragment, and the rows of any table inside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, ...]] = []
        self.table_cells: set[str] = set()
        self._text: list[str] = []
        self._row: list[str] | None = None
        self._tables = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._flush()
            self._tables += 1
        elif tag == "tr" and self._tables:
            self._row = []
        elif tag in _CELL_TAGS and self._tables:
            self._text = []
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _CELL_TAGS and self._row is not None:
            cell = collapsed("".join(self._text))
            self._row.append(cell)
            self.table_cells.add(cell)
            self._text = []
        elif tag == "tr" and self._row is not None:
            if any(self._row):
                self.blocks.append(tuple(self._row))
            self._row = None
        elif tag == "table" and self._tables:
            self._tables -= 1
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _break(self) -> None:
        # Inside a table cell a paragraph break is only a space: the cell is one text.
        if self._tables:
            self._text.append(" ")
        else:
            self._flush()

    def _flush(self) -> None:
        text = collapsed("".join(self._text))
        if text:
            self.blocks.append((text,))
        self._text = []


def html_blocks(fragment: str) -> _HtmlBlocks:
    """The parsed fragment; markdown `**` marks a paragraph break, `*x*` becomes x."""
    fragment = _ITALIC.sub(r"\1", fragment.replace("**", "<br>"))
    parser = _HtmlBlocks()
    parser.feed(fragment)
    parser.close()
    return parser


def rows_from_text(text: str) -> list[Row]:
    """Every logical line of the document, in order, with its source line number."""
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or _SEPARATOR_ROW.match(line):
            continue
        if line.startswith("|"):
            rows.extend(_rows_of_table_line(number, line))
        else:
            rows.extend(Row(number, block) for block in html_blocks(line).blocks)
    return rows


def _rows_of_table_line(number: int, line: str) -> list[Row]:
    """The rows of one pipe-table line.

    A cell holding a whole HTML table becomes that table's rows; the converter
    also spills the same table's cells into the following pipe cells, which are
    dropped. A row with a single non-empty cell becomes one row per paragraph.
    """
    cells = [html_blocks(cell) for cell in line.strip("|").split("|")]
    if any(cell.table_cells for cell in cells):
        spilled = set().union(*(cell.table_cells for cell in cells))
        return [
            Row(number, block)
            for cell in cells
            for block in cell.blocks
            if cell.table_cells or block[0] not in spilled
        ]
    filled = [cell for cell in cells if cell.blocks]
    if not filled:
        return []
    if len(filled) == 1:
        return [Row(number, block) for block in filled[0].blocks]
    texts = [" ".join(" ".join(block) for block in cell.blocks) for cell in cells]
    while texts and not texts[-1]:
        texts.pop()
    return [Row(number, tuple(texts))]

"""User text made safe to place in XML-based formats (SVG, DOCX, XLSX).

XML 1.0 cannot hold most control characters at all: one NUL in a narrative would
make the whole document unreadable. They are dropped (tabs and line breaks are
kept where a format can show them); nothing else of what a user typed is changed,
and escaping stays the job of each format's writer.
"""

import re
import textwrap

# C0 controls but tab and line feed, DEL, C1 controls, the Unicode line and
# paragraph separators (Word and Excel show them as boxes), bidi overrides (they
# can make a text read backwards: "Trojan Source"), and non-characters.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def without_controls(text: str) -> str:
    """`text` without the characters XML cannot hold or that would change how the
    rest reads; CR LF and lone CR become LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATES.sub("", _CONTROLS.sub("", text))


def one_line(text: str) -> str:
    """`text` without controls, every run of white space as one space."""
    return _SPACES.sub(" ", without_controls(text)).strip()


def wrapped(text: str, *, width: int, lines: int) -> str:
    """`text` on at most `lines` lines of `width` characters, long words broken,
    with an ellipsis when it had to be cut."""
    parts = textwrap.wrap(one_line(text), width=width, break_long_words=True)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "…"
    return "\n".join(parts)

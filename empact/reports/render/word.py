"""A Word document a secretariat can edit: real styles (Title, Heading 1-3,
Caption, a table style, List Bullet), an A4 page, a running header with the
marking, page numbers in the footer, and a DRAFT watermark on every page.

Everything a user typed goes in as the text of a run, never as a field or XML,
after `without_controls` (XML cannot hold most control characters). The only
fields are the document's own: PAGE, NUMPAGES and the table of contents.
Tables are created whole and their cells read once (`table._cells`): asking
python-docx for cells row by row is quadratic in the table's size.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from empact.reports.text import without_controls

TABLE_STYLE = "Light Grid Accent 1"
TEXT_WIDTH_CM = 17.0  # A4 less 2 cm margins

# Word's own watermark (Design > Watermark) is a VML text path in the header,
# behind the text, on every page of the section. The shapetype is copied from
# what Word writes so that Word, LibreOffice and Pages all draw it.
_WATERMARK = """
<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
     xmlns:v="urn:schemas-microsoft-com:vml"
     xmlns:o="urn:schemas-microsoft-com:office:office">
  <w:pict>
    <v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136"
        adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">
      <v:formulas>
        <v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>
        <v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/>
        <v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
        <v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/>
        <v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>
        <v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/>
        <v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/>
      </v:formulas>
      <v:path textpathok="t" o:connecttype="custom"
          o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
          o:connectangles="270,180,90,0"/>
      <v:textpath on="t" fitshape="t"/>
      <v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
      <o:lock v:ext="edit" text="t" shapetype="t"/>
    </v:shapetype>
    <v:shape id="EmpactDraftWatermark" o:spid="_x0000_s2049" type="#_x0000_t136"
        style="position:absolute;margin-left:0;margin-top:0;width:430pt;height:140pt;
        rotation:315;z-index:-251654144;mso-position-horizontal:center;
        mso-position-horizontal-relative:margin;mso-position-vertical:center;
        mso-position-vertical-relative:margin"
        o:allowincell="f" fillcolor="#c0c0c0" stroked="f">
      <v:fill opacity=".5"/>
      <v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt" string="DRAFT"/>
    </v:shape>
  </w:pict>
</w:r>
"""


# What follows w:updateFields in CT_Settings (ECMA-376 Part 1, 17.15.1.78).
_AFTER_UPDATE = (
    "w:hdrShapeDefaults",
    "w:footnotePr",
    "w:endnotePr",
    "w:compat",
    "w:docVars",
    "w:rsids",
    "m:mathPr",
    "w:attachedSchema",
    "w:themeFontLang",
    "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures",
    "w:forceUpgrade",
    "w:captions",
    "w:readModeInkLockDown",
    "w:smartTagType",
    "sl:schemaLibrary",
    "w:shapeDefaults",
    "w:doNotEmbedSmartTags",
    "w:decimalSymbol",
    "w:listSeparator",
)


@dataclass(frozen=True)
class Column:
    title: str
    width_cm: float
    numeric: bool = False


class WordDocument:
    """One report being written, top to bottom."""

    def __init__(self, *, title: str, marking: str, draft: bool, footer: str):
        self.document = docx.Document()
        self.tables = 0
        self.figures = 0
        self._setup_page()
        self._setup_styles()
        self._header_footer(marking=marking, draft=draft, footer=footer)
        self.document.core_properties.title = without_controls(title)[:255]
        self.document.core_properties.author = "EMPACT platform"

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()

    # Text

    def title(self, text: str, subtitle: str = "") -> None:
        self.document.add_paragraph(without_controls(text), style="Title")
        if subtitle:
            self.document.add_paragraph(without_controls(subtitle), style="Subtitle")

    def heading(self, text: str, level: int) -> None:
        self.document.add_heading(without_controls(text), level=level)

    def paragraph(self, text: str, *, bold_prefix: str = "", style=None) -> None:
        """One paragraph per blank-line-separated block of `text`; single line
        breaks stay line breaks inside it."""
        blocks = [b for b in without_controls(text).split("\n\n") if b.strip()] or [""]
        for i, block in enumerate(blocks):
            paragraph = self.document.add_paragraph(style=style)
            if bold_prefix and i == 0:
                paragraph.add_run(without_controls(bold_prefix)).bold = True
            paragraph.add_run(block.strip("\n"))

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self.document.add_paragraph(without_controls(item), style="List Bullet")

    def page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def contents(self) -> None:
        """A table of contents field over Heading 1-2; Word fills it on opening
        (the document asks for its fields to be updated)."""
        self.heading("Contents", 1)
        paragraph = self.document.add_paragraph()
        _field(paragraph, 'TOC \\o "1-2" \\h \\z \\u', "Update this field (F9).")
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        # Word rejects a settings part whose elements are out of schema order.
        self.document.settings.element.insert_element_before(update, *_AFTER_UPDATE)

    # Tables and figures

    def table(
        self, columns: Sequence[Column], rows: Sequence[Sequence[str]], caption: str
    ) -> None:
        """A captioned table; its header row repeats on every page it spans."""
        self.tables += 1
        self._caption(f"Table {self.tables}. {caption}")
        table = self.document.add_table(rows=len(rows) + 1, cols=len(columns))
        table.style = self.document.styles[TABLE_STYLE]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _repeat_header(table.rows[0])
        cells = table._cells  # once: see the module doc
        width = len(columns)
        for c, column in enumerate(columns):
            _cell_text(cells[c], column.title, column, bold=True)
        for r, row in enumerate(rows, start=1):
            for c, column in enumerate(columns):
                _cell_text(cells[r * width + c], row[c], column)

    def figure(self, png: bytes, caption: str, *, width_cm: float = TEXT_WIDTH_CM):
        self.figures += 1
        self.document.add_picture(io.BytesIO(png), width=Cm(width_cm))
        self.document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._caption(f"Figure {self.figures}. {caption}")

    def _caption(self, text: str) -> None:
        paragraph = self.document.add_paragraph(without_controls(text), style="Caption")
        paragraph.paragraph_format.keep_with_next = True

    # Page

    def _setup_page(self) -> None:
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2))
        section.top_margin, section.bottom_margin = Cm(2.2), Cm(2)
        section.header_distance = section.footer_distance = Cm(1)

    def _setup_styles(self) -> None:
        styles = self.document.styles
        styles["Normal"].font.size = Pt(10)
        styles["Caption"].font.size = Pt(9)
        for level in (1, 2, 3):
            styles[f"Heading {level}"].paragraph_format.keep_with_next = True

    def _header_footer(self, *, marking: str, draft: bool, footer: str) -> None:
        section = self.document.sections[0]
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        text = without_controls(marking)
        if draft:
            text = f"DRAFT — {text}" if text else "DRAFT"
        run = header.add_run(text)
        run.bold = True
        if draft:
            run.font.color.rgb = RGBColor(0xB0, 0x00, 0x00)
            header._p.append(parse_xml(_WATERMARK))
        line = section.footer.paragraphs[0]
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.add_run(without_controls(footer) + " — page ")
        _field(line, "PAGE", "1")
        line.add_run(" of ")
        _field(line, "NUMPAGES", "1")
        if marking or draft:
            closing = section.footer.add_paragraph(text)
            closing.alignment = WD_ALIGN_PARAGRAPH.CENTER
            closing.runs[0].bold = True


def _cell_text(cell, text: str, column: Column, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(without_controls(text))
    run.bold = bold or None
    if column.numeric and not bold:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    cell.width = Cm(column.width_cm)


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _field(paragraph, instruction: str, placeholder: str) -> None:
    """A complex field (begin, instruction, separate, cached result, end)."""
    for kind, text in (
        ("begin", None),
        ("instr", f" {instruction} "),
        ("separate", None),
        ("result", placeholder),
        ("end", None),
    ):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "result":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)

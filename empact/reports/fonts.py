"""The vendored font, one place for every format: pages and PDFs load it through
fonts.css, charts draw with the same files, DOCX names the same family."""

from pathlib import Path

FAMILY = "DejaVu Sans"
FONT_DIR = (
    Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "fonts"
)
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
OBLIQUE = FONT_DIR / "DejaVuSans-Oblique.ttf"
BOLD_OBLIQUE = FONT_DIR / "DejaVuSans-BoldOblique.ttf"
STYLESHEET = FONT_DIR / "fonts.css"
STATIC_PATH = "vendor/fonts/fonts.css"  # for {% static %}

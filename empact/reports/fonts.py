"""The vendored font, in one place: pages and PDFs load it through fonts.css and
charts draw with the same files. DOCX keeps Word's own theme fonts, since the
people who edit it may not have this one installed."""

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

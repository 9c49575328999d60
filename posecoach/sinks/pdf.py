"""PDF reports for paper and e-mail, from the same format-neutral sections as HTML and Markdown.

fpdf2 is pure Python (no browser, no system libraries); text uses the DejaVu fonts matplotlib ships,
so "×", "–" and "⚠" print. Tables are laid out by fpdf2; plots and key frames are embedded images.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from posecoach.sinks.report import Section

PAGE_WIDTH_MM = 180.0
"""A4 (210 mm) less 15 mm margins."""
KEY_FRAME_WIDTH_MM = 55.0
KEEP_WITH_HEADING_MM = 55.0
"""A heading lower on the page than this (from the bottom) starts a new page with its content."""


def _font_folder() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def render_pdf(sections: list[Section], images: dict[str, bytes] | None = None) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    images = images or {}
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    fonts = _font_folder()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_title(sections[0].heading if sections else "posecoach report")
    pdf.set_creator("posecoach")
    pdf.add_page()
    for i, section in enumerate(sections):
        if i and pdf.get_y() > pdf.h - KEEP_WITH_HEADING_MM:  # a heading never ends a page alone
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 16 if i == 0 else 12)
        pdf.ln(0 if i == 0 else 3)
        pdf.multi_cell(PAGE_WIDTH_MM, 8 if i == 0 else 7, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9.5)
        for paragraph in section.paragraphs:
            pdf.multi_cell(PAGE_WIDTH_MM, 5, paragraph, markdown=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        if section.table:
            header, rows = section.table
            pdf.set_font("DejaVu", "", 8 if len(header) > 6 else 9)
            widths = tuple(max(4, min(40, max(len(str(row[c])) for row in (header, *rows))))
                           for c in range(len(header)))
            with pdf.table(width=PAGE_WIDTH_MM, line_height=4.5, text_align="LEFT", col_widths=widths,
                           headings_style=FontFace(emphasis="BOLD", fill_color=(238, 238, 238))) as table:
                for cells in (header, *rows):
                    row = table.row()
                    for cell in cells:
                        row.cell(cell)
            pdf.set_font("DejaVu", "", 9.5)
        if section.figure and section.figure in images:
            pdf.image(io.BytesIO(images[section.figure]), w=PAGE_WIDTH_MM)
        for caption, jpeg in section.stills:
            pdf.image(io.BytesIO(jpeg), w=KEY_FRAME_WIDTH_MM)
            pdf.set_font("DejaVu", "", 8)
            pdf.cell(KEY_FRAME_WIDTH_MM, 4, caption, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 9.5)
    return bytes(pdf.output())

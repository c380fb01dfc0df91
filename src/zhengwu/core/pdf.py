"""PDF canvases with an embedded CJK TrueType font (reportlab).

The font file is the setting ZHENGWU_PDF_FONT (``fonts-wqy-microhei``: reportlab
embeds TrueType collections but cannot load the Noto CJK OpenType files). Where the
file is missing, the Adobe CID font STSong-Light is used instead: it is not
embedded, so a reader without it substitutes a font — acceptable for samples only."""

import io
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

import structlog

logger = structlog.get_logger(__name__)

FONT_NAME = "ZhengwuCJK"
FALLBACK_FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = 595.27, 841.89  # A4 in points

_lock = threading.Lock()
_font: str | None = None


def cjk_font() -> str:
    """Register the CJK font once per process; return its reportlab name."""
    global _font
    if _font is not None:
        return _font
    with _lock:
        if _font is not None:
            return _font
        from reportlab.pdfbase import pdfmetrics

        path = Path(getattr(settings, "ZHENGWU_PDF_FONT", "") or "")
        if path.is_file():
            from reportlab.pdfbase.ttfonts import TTFont

            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            _font = FONT_NAME
        else:
            from reportlab.pdfbase.cidfonts import UnicodeCIDFont

            logger.warning("pdf_font_missing", path=str(path))
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
            _font = FALLBACK_FONT
    return _font


def canvas() -> tuple[Any, io.BytesIO, str]:
    """A fresh A4 canvas writing to a buffer, and the CJK font's name."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas as reportlab_canvas

    font = cjk_font()
    buffer = io.BytesIO()
    return reportlab_canvas.Canvas(buffer, pagesize=A4, invariant=1), buffer, font


def wrap(text: str, *, font: str, size: float, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` points (CJK text has no
    spaces: break at any character; keep explicit line breaks)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        line = ""
        for char in paragraph:
            if stringWidth(line + char, font, size) > width and line:
                lines.append(line)
                line = char
            else:
                line += char
        lines.append(line)
    return lines

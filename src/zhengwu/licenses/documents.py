"""The licence file: a one-page PDF (reportlab through core.pdf, invariant, so the
same licence renders to the same bytes) with the title, the face data, the issuer
and dates, the seal image (or a drawn red round seal) and a QR code of the
verification address."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from zhengwu.core import pdf

LEFT, RIGHT = 72.0, pdf.PAGE_WIDTH - 72.0
SEAL_RED = (0.86, 0.08, 0.08)


def verification_path(identifier: str) -> str:
    return f"/licenses/verify/{identifier}"


@dataclass(frozen=True)
class LicenceLayout:
    """Everything printed on the licence."""

    title: str
    identifier: str
    holder_name: str
    face_rows: tuple[tuple[str, str], ...]
    issuer_name: str
    issued_on: datetime.date
    valid_from: datetime.date
    valid_until: datetime.date | None
    seal_name: str
    seal_image: bytes | None


def _chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def face_rows(schema: dict[str, Any], face_data: dict[str, Any]) -> tuple:
    """(label, value) in the schema's property order, labelled by title."""
    properties = schema.get("properties") or {}
    rows = []
    for name, spec in properties.items():
        if name in face_data:
            title = spec.get("title", name) if isinstance(spec, dict) else name
            rows.append((str(title), _text(face_data[name])))
    for name in sorted(set(face_data) - set(properties)):
        rows.append((name, _text(face_data[name])))
    return tuple(rows)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _draw_seal(canvas: Any, font: str, *, name: str, x: float, y: float) -> None:
    """A red round seal: the organisation's name along the upper arc, a star."""
    radius = 56.0
    canvas.saveState()
    canvas.setStrokeColorRGB(*SEAL_RED)
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setLineWidth(3)
    canvas.circle(x, y, radius, stroke=1, fill=0)
    # five-pointed star
    points = []
    for index in range(10):
        angle = math.pi / 2 + index * math.pi / 5
        length = 16.0 if index % 2 == 0 else 6.5
        points.append((x + length * math.cos(angle), y + length * math.sin(angle)))
    path = canvas.beginPath()
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    # the name along an arc of 240 degrees, centred at the top
    characters = list(name) or [" "]
    size = 13.0 if len(characters) <= 14 else 10.0
    span = math.radians(240)
    step = span / max(len(characters) - 1, 1) if len(characters) > 1 else 0
    start = math.pi / 2 + (span / 2 if len(characters) > 1 else 0)
    for index, char in enumerate(characters):
        angle = start - index * step
        canvas.saveState()
        canvas.translate(
            x + (radius - 16) * math.cos(angle), y + (radius - 16) * math.sin(angle)
        )
        canvas.rotate(math.degrees(angle) - 90)
        canvas.setFont(font, size)
        canvas.drawCentredString(0, 0, char)
        canvas.restoreState()
    canvas.restoreState()


def _draw_qr(canvas: Any, text: str, *, x: float, y: float, size: float) -> None:
    """The QR code as filled squares (vector: no image, deterministic)."""
    import segno

    code = segno.make(text, error="m")
    matrix = [list(row) for row in code.matrix]
    count = len(matrix)
    border = 2
    module = size / (count + 2 * border)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if dark:
                canvas.rect(
                    x + (column_index + border) * module,
                    y + size - (row_index + border + 1) * module,
                    module,
                    module,
                    stroke=0,
                    fill=1,
                )
    canvas.restoreState()


def licence_pdf(layout: LicenceLayout) -> bytes:
    """One A4 page; the same layout always gives the same bytes."""
    canvas, buffer, font = pdf.canvas()
    canvas.setTitle(layout.title)
    canvas.setAuthor(layout.issuer_name)
    canvas.setSubject(layout.identifier)  # lets an uploaded file name its licence
    y = pdf.PAGE_HEIGHT - 100
    canvas.setFont(font, 26)
    canvas.drawCentredString(pdf.PAGE_WIDTH / 2, y, layout.title)
    y -= 28
    canvas.setFont(font, 9)
    canvas.drawCentredString(
        pdf.PAGE_WIDTH / 2, y, _("证照标识：%(id)s") % {"id": layout.identifier}
    )
    y -= 44

    def row(label: str, value: str) -> None:
        nonlocal y
        canvas.setFont(font, 13)
        canvas.drawString(LEFT, y, f"{label}：")
        lines = pdf.wrap(value, font=font, size=13, width=RIGHT - LEFT - 130)
        for part in lines:
            canvas.drawString(LEFT + 130, y, part)
            y -= 24
        y -= 4

    row(_("持证主体"), layout.holder_name)
    for label, value in layout.face_rows:
        if y < 260:
            break  # one page: the face schema is meant to fit
        row(label, value)
    until = _chinese_date(layout.valid_until) if layout.valid_until else _("长期")
    row(
        _("有效期"),
        _("%(start)s至%(end)s")
        % {"start": _chinese_date(layout.valid_from), "end": until},
    )
    # issuer, date and seal at the lower right; QR code at the lower left
    base = 150.0
    canvas.setFont(font, 13)
    for offset, text in (
        (40, layout.issuer_name),
        (14, _chinese_date(layout.issued_on)),
    ):
        width = canvas.stringWidth(text, font, 13)
        canvas.drawString(RIGHT - width, base + offset, text)
    seal_x, seal_y = RIGHT - 80, base + 30
    if layout.seal_image:
        from io import BytesIO

        from reportlab.lib.utils import ImageReader

        canvas.drawImage(
            ImageReader(BytesIO(layout.seal_image)),
            seal_x - 56,
            seal_y - 56,
            width=112,
            height=112,
            mask="auto",
        )
    else:
        _draw_seal(canvas, font, name=layout.seal_name, x=seal_x, y=seal_y)
    _draw_qr(canvas, verification_path(layout.identifier), x=LEFT, y=base - 20, size=96)
    canvas.setFont(font, 8)
    canvas.drawString(LEFT, base - 34, _("扫码核验"))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()

"""Printable sheets (PDF): voting codes as QR codes, cut out and handed to voters."""

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"  # a CID font every PDF reader has: no font file to ship
COLUMNS, ROWS = 3, 5


def _qr(value: str, size: float) -> Drawing:
    widget = QrCodeWidget(value)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def token_sheet(*, title: str, group: str, batch: int, codes: list[str], ballot_url: str) -> bytes:
    """15 codes per A4 page, each with its QR code (the ballot address with the code after '#') and the code."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"{title} 投票码")
    width, height = A4
    cell_w, cell_h = (width - 20 * mm) / COLUMNS, (height - 30 * mm) / ROWS
    per_page = COLUMNS * ROWS
    for start in range(0, len(codes), per_page):
        pdf.setFont(FONT, 11)
        pdf.drawString(10 * mm, height - 12 * mm, f"{title}（{group}，第{batch}批）")
        pdf.setFont(FONT, 8)
        pdf.drawString(10 * mm, height - 17 * mm, f"扫码或访问 {ballot_url} 输入投票码；每码限投一次。")
        for i, code in enumerate(codes[start : start + per_page]):
            col, row = i % COLUMNS, i // COLUMNS
            x = 10 * mm + col * cell_w
            y = height - 22 * mm - (row + 1) * cell_h
            pdf.setDash(2, 2)
            pdf.rect(x, y, cell_w, cell_h)
            pdf.setDash()
            size = min(cell_w, cell_h) - 16 * mm
            renderPDF.draw(_qr(f"{ballot_url}#{code}", size), pdf, x + (cell_w - size) / 2, y + 12 * mm)
            pdf.setFont("Courier-Bold", 13)
            pdf.drawCentredString(x + cell_w / 2, y + 6 * mm, code)
        pdf.showPage()
    pdf.save()
    return out.getvalue()

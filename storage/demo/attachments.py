"""The demo's attachments, made deterministically: tiny PNG "screenshots" (stored deflate, so
the bytes never vary), one-page PDFs and CSV exports."""

from __future__ import annotations

import base64
import random
import struct
import zlib
from collections.abc import Sequence
from datetime import datetime

from supportmail.storage.demo.common import hex_digest
from supportmail.storage.demo.encoding import Part
from supportmail.storage.demo.plans import Plan


def _png(seed: str, width: int = 96, height: int = 54) -> bytes:
    """A tiny 4-bit palette "screenshot" (stored deflate blocks, so bytes never vary)."""
    rng = random.Random(seed)
    palette = [
        (246, 246, 248),
        (52, 58, 74),
        (88, 134, 232),
        (232, 96, 84),
        (120, 190, 130),
        (200, 204, 214),
        (255, 255, 255),
        (250, 200, 80),
    ]
    grid = [[0] * width for _ in range(height)]
    _rect(grid, 0, 0, width, 7, 1)
    _rect(grid, 0, 7, 16, height, 5)
    for row in range(5):
        x = 20 + rng.randrange(0, 30)
        _rect(grid, x, 11 + row * 8, x + rng.randrange(14, 40), 16 + row * 8, rng.choice([2, 4, 7]))
    _rect(grid, 48, 26, 90, 44, 6)
    _rect(grid, 50, 28, 88, 31, 3)
    raw = b"".join(
        b"\x00" + bytes((r[i] << 4) | r[i + 1] for i in range(0, width, 2)) for r in grid
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 4, 3, 0, 0, 0)
    plte = b"".join(bytes(c) for c in palette)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"PLTE", plte)
        + _chunk(b"IDAT", _stored_zlib(raw))
        + _chunk(b"IEND", b"")
    )


def _rect(grid: list[list[int]], x0: int, y0: int, x1: int, y1: int, colour: int) -> None:
    for y in range(y0, min(y1, len(grid))):
        for x in range(x0, min(x1, len(grid[0]))):
            grid[y][x] = colour


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _stored_zlib(data: bytes) -> bytes:
    out = b"\x78\x01"
    for pos in range(0, len(data), 65535):
        block = data[pos : pos + 65535]
        final = 1 if pos + 65535 >= len(data) else 0
        out += struct.pack("<BHH", final, len(block), 0xFFFF ^ len(block)) + block
    return out + struct.pack(">I", zlib.adler32(data))


def _pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF with a few lines of Helvetica text and a correct xref table."""
    text = (
        "BT /F1 11 Tf 56 780 Td 15 TL "
        + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for line in lines
        )
        + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def attachment_file(plan: Plan, at: datetime) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the file a customer attached to the opener."""
    kind, lang, s = plan.attach, plan.opener.lang, plan.slots
    stamp = at.strftime("%Y-%m-%d at %H.%M.%S")
    if kind == "png":
        names = {
            "en": f"Screenshot {stamp}.png",
            "de": "image001.png",
            "zh": f"微信截图_{at.strftime('%Y%m%d%H%M%S')}.png",
        }
        return names[lang], "image/png", _png(hex_digest("png", plan.index))
    if kind == "pdf":
        name = {"en": "Invoice", "de": "Rechnung", "zh": "发票"}[lang] + f"-{s['invoice']}.pdf"
        lines = [
            "Plotline Ltd - Invoice " + s["invoice"],
            f"Billed to: {plan.customer.addr}",
            f"Plan: {s['plan']} ({s['seats']} seats)",
            "Period: monthly",
            "Charged to card ending " + s["card"],
            "Status: PAID",
        ]
        return name, "application/pdf", _pdf(lines)
    if kind == "csv":
        return _csv(plan)
    return (
        "Remittance_advice_\u202efdp.exe",
        "application/octet-stream",
        b"MZ" + b"\x00" * 30 + b"harmless demo bytes, not a program\r\n",
    )


def _csv(plan: Plan) -> tuple[str, str, bytes]:
    if plan.opener.lang == "de":
        rows = [
            "Aufgabe;Verantwortlich;Fällig;Status",
            "Angebot prüfen;Jürgen;03.12.2026;offen",
            "Baubesprechung Süd;Anja;05.12.2026;in Arbeit",
            "Lieferantenliste übertragen;Malte;08.12.2026;offen",
        ]
        return "Aufgaben_Import.csv", "text/csv", "\r\n".join(rows).encode("windows-1252")
    rows = [
        "Task,Owner,Due,Status",
        "Draft launch brief,Priya,2026-12-03,Open",
        '"Fix ""Save"" button, mobile",Leo,2026-12-05,In progress',
        "Customer interviews (5),Ana,2026-12-08,Open",
    ]
    return "tasks-import.csv", "text/csv", "\r\n".join(rows).encode("utf-8")


def file_part(filename: str, ctype: str, data: bytes) -> Part:
    """The base64 MIME part of an attached file (RFC 2231 name when it is not ASCII)."""
    if filename.isascii():
        disp = f'attachment; filename="{filename}"'
        name = f'; name="{filename}"'
    else:
        quoted = "".join(
            chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in "-._") else f"%{b:02X}"
            for b in filename.encode("utf-8")
        )
        disp = f"attachment;\r\n filename*=utf-8''{quoted}"
        name = ""
    return Part(
        (
            f"Content-Type: {ctype}{name}",
            f"Content-Disposition: {disp}",
            "Content-Transfer-Encoding: base64",
        ),
        base64.encodebytes(data).replace(b"\n", b"\r\n"),
    )

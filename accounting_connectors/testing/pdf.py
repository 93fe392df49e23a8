"""Minimal, valid PDF documents for fake providers (standard library only).

Fakes return these where a real provider returns a rendered invoice. The text is written
uncompressed, so tests can look for it directly in the bytes (``b"FCT" in pdf``).
"""

from __future__ import annotations

__all__ = ["make_pdf"]

# A4 in PDF points; the text starts near the top-left corner.
_PAGE_WIDTH = 595
_PAGE_HEIGHT = 842
_MARGIN = 50
_FONT_SIZE = 11
_LEADING = 14


def _pdf_string(line: str) -> bytes:
    """``line`` as a PDF literal string in WinAnsi (cp1252) encoding.

    Characters cp1252 cannot hold (e.g. the comma-below Romanian letters) become ``?``
    rather than failing: the PDF only needs to be valid and readable, not typeset.
    """
    cleaned = "".join(ch if ch >= " " else " " for ch in line)
    raw = cleaned.encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def make_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (one line per line of ``text``) in Helvetica.

    The result starts with ``%PDF-``, ends with ``%%EOF`` and has a correct
    cross-reference table, so ordinary PDF readers open it.
    """
    lines = text.splitlines() or [""]
    ops = [
        b"BT",
        b"/F1 %d Tf" % _FONT_SIZE,
        b"%d TL" % _LEADING,
        b"%d %d Td" % (_MARGIN, _PAGE_HEIGHT - _MARGIN),
    ]
    for index, line in enumerate(lines):
        # T* moves to the next line; the first line is already positioned by Td.
        ops.append((b"T* " if index else b"") + _pdf_string(line) + b" Tj")
    ops.append(b"ET")
    stream = b"\n".join(ops) + b"\n"

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>" % (_PAGE_WIDTH, _PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
    ]

    # The binary comment on line 2 tells transfer tools the file is binary.
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)

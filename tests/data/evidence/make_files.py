"""Generate the small files used by tests/evidence (run once; keep the output).

.venv/bin/python tests/data/evidence/make_files.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
IMAGES = HERE.parent / "images"


def main() -> None:
    # A decompression bomb: 9,000 x 9,000 = 81 Mpx of 1-bit zeros, ~10 KB on disk.
    Image.new("1", (9_000, 9_000)).save(HERE / "bomb.png", "PNG", optimize=True)
    # The same picture as images/plain.jpg, resized to 60 % and re-encoded.
    with Image.open(IMAGES / "plain.jpg") as img:
        size = (round(img.width * 0.6), round(img.height * 0.6))
        img.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(
            HERE / "plain_resized.jpg", "JPEG", quality=70
        )
    # A minimal one-page PDF (text "Synthetic test document").
    (HERE / "report.pdf").write_bytes(_pdf())


def _pdf() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = b"BT /F1 14 Tf 20 70 Td (Synthetic test document) Tj ET"
    objects[3] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


if __name__ == "__main__":
    main()

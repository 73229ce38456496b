"""Render resources/icons/roadmaster.svg into the raster icons the packages need:
``roadmaster.ico`` (Windows: the executable, the installer, Start menu) and
``roadmaster-256.png`` (Linux desktop entry, for menus that ignore SVG).

Run once when the SVG changes; the results are committed, so a build needs neither
this script nor Pillow.  Qt's SVG renderer does the drawing (PySide6 is a dependency
anyway); the ICO holds PNG-compressed images, which Windows reads since Vista.

    .venv/bin/python build/make_icons.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "roadmaster.svg"
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # stubs say bytes; str works
    buffer.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """An ICO file of PNG images: ICONDIR, one ICONDIRENTRY per image, the PNGs."""
    header = struct.pack("<HHH", 0, 1, len(images))
    entries, blobs = b"", b""
    offset = 6 + 16 * len(images)
    for size, png in sorted(images.items()):
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + entries + blobs


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1])
    images = {size: render_png(size) for size in ICO_SIZES}
    (ICONS / "roadmaster.ico").write_bytes(ico(images))
    (ICONS / "roadmaster-256.png").write_bytes(images[256])
    print(f"wrote {ICONS / 'roadmaster.ico'} and {ICONS / 'roadmaster-256.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

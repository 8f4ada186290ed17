#!/usr/bin/env python3
"""Writes the two Teams app icons with the standard library only:
color.png (192x192, full colour) and outline.png (32x32, white on transparent), as the manifest schema asks."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def png(path, width, height, pixel):
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def page_shape(x, y, size):
    """A page with a folded corner and three text lines, in a size x size box (True = ink)."""
    left, right, top, bottom = size * 0.25, size * 0.75, size * 0.15, size * 0.85
    fold = size * 0.15
    inside = left <= x < right and top <= y < bottom and not (x > right - fold and y < top + fold and (x - (right - fold)) > (y - top))
    border = inside and (x < left + size * 0.06 or x >= right - size * 0.06 or y < top + size * 0.06 or y >= bottom - size * 0.06)
    lines = any(abs(y - size * f) < size * 0.03 for f in (0.4, 0.52, 0.64)) and left + size * 0.12 <= x < right - size * 0.12
    return inside, border or lines


def color(x, y):
    inside, ink = page_shape(x, y, 192)
    if ink:
        return (40, 40, 60, 255)
    if inside:
        return (255, 255, 255, 255)
    return (255, 210, 30, 255)  # the accent colour as background


def outline(x, y):
    _, ink = page_shape(x, y, 32)
    return (255, 255, 255, 255) if ink else (0, 0, 0, 0)


png(os.path.join(HERE, "color.png"), 192, 192, color)
png(os.path.join(HERE, "outline.png"), 32, 32, outline)
print("wrote color.png and outline.png")

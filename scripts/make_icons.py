#!/usr/bin/env python3
"""Draws the app icons (PNG) the web app manifest, Apple devices and /favicon.ico use, with the
standard library alone: a record on the accent colour. Rerun after changing the design; the
output is committed (Sources/CadenzaServer/Web/Public/app/icons)."""
import math
import os
import struct
import zlib

OUT = os.path.join(os.path.dirname(__file__), "..", "Sources/CadenzaServer/Web/Public/app/icons")
TOP, BOTTOM = (0x2b, 0x6c, 0xb0), (0x5a, 0x3d, 0xa8)   # the accent's gradient


def png(path, size, pixel):
    rows = b"".join(b"\0" + b"".join(struct.pack("BBBB", *pixel(x, y)) for x in range(size)) for y in range(size))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def icon(size, *, full_bleed, glyph_scale):
    radius = 0 if full_bleed else size * 0.22
    c = (size - 1) / 2

    def coverage(inside, x, y):
        # 4x4 supersampling for smooth edges.
        return sum(inside(x + (i + .5) / 4 - .5, y + (j + .5) / 4 - .5) for i in range(4) for j in range(4)) / 16

    def in_background(x, y):
        dx = max(abs(x - c) - (c - radius), 0)
        dy = max(abs(y - c) - (c - radius), 0)
        return dx * dx + dy * dy <= radius * radius if radius else True

    r = size * glyph_scale / 2
    def in_record(x, y):
        d = math.hypot(x - c, y - c)
        return d <= r and not (r * 0.16 < d <= r * 0.30) and d > r * 0.07

    def pixel(x, y):
        t = y / size
        bg = tuple(round(TOP[k] * (1 - t) + BOTTOM[k] * t) for k in range(3))
        a_bg = coverage(in_background, x, y)
        a_rec = coverage(in_record, x, y)
        colour = tuple(round(bg[k] * (1 - a_rec) + 255 * a_rec) for k in range(3))
        return (*colour, round(255 * a_bg))
    return pixel


os.makedirs(OUT, exist_ok=True)
for name, size, bleed, scale in [("icon-32.png", 32, False, .62), ("icon-192.png", 192, False, .62),
                                 ("icon-512.png", 512, False, .62), ("maskable-512.png", 512, True, .5),
                                 ("apple-touch-icon.png", 180, True, .6)]:
    png(os.path.join(OUT, name), size, icon(size, full_bleed=bleed, glyph_scale=scale))
    print(name)

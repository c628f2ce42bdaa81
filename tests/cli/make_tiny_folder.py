"""Writes a tiny image-folder dataset (torchvision's ImageFolder layout) for the CLI test.

train/<class>/*.png and test/<class>/*.png, 20x20 RGB; class k has a bright horizontal band at
rows 5k..5k+4, so a network learns it in a few epochs after the images are resized to 16x16.
PNG is written with the standard library only (zlib + struct).
"""
import os
import random
import struct
import sys
import zlib

NAMES = ["ant", "bee", "cow", "dog"]


def png(path, rows):
    """rows: a list of bytes objects, each width*3 RGB values."""
    height, width = len(rows), len(rows[0]) // 3
    raw = b"".join(b"\x00" + r for r in rows)  # filter type 0 on every row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))


def image(label, rng):
    rows = []
    for h in range(20):
        row = bytearray()
        for w in range(20):
            for c in range(3):
                v = rng.randint(0, 90)
                if 5 * label <= h < 5 * label + 5:
                    v += 150
                row.append(v)
        rows.append(bytes(row))
    return rows


def main(directory):
    rng = random.Random(3)
    for split, count in (("train", 12), ("test", 5)):
        for k, name in enumerate(NAMES):
            os.makedirs(f"{directory}/{split}/{name}", exist_ok=True)
            for i in range(count):
                png(f"{directory}/{split}/{name}/{i:03d}.png", image(k, rng))


if __name__ == "__main__":
    main(sys.argv[1])

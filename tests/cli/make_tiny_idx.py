"""Writes a tiny MNIST-layout data set (IDX files, the layout of Debian's Fashion-MNIST) for the
CLI end-to-end test: 28x28 grey images of 10 classes, class k with a bright band at rows
2k..2k+2. Only the standard library is used.
"""
import random
import struct
import sys


def write(directory, prefix, count, rng):
    pixels = bytearray()
    labels = bytearray()
    for i in range(count):
        label = i % 10
        labels.append(label)
        for h in range(28):
            for w in range(28):
                v = rng.randint(0, 90)
                if 2 * label <= h < 2 * label + 3:
                    v += 150
                pixels.append(v)
    with open(f"{directory}/{prefix}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28) + bytes(pixels))
    with open(f"{directory}/{prefix}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + bytes(labels))


rng = random.Random(3)
write(sys.argv[1], "train", 200, rng)
write(sys.argv[1], "t10k", 50, rng)

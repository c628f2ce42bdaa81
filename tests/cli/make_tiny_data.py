"""Writes a tiny CIFAR-10-layout dataset (and a synthetic set) for the CLI end-to-end test.

Class k has a bright horizontal band at rows 3k..3k+2, so a network learns it in a few epochs.
Only the standard library is used.
"""
import json
import random
import struct
import sys


def record(label, rng):
    pixels = bytearray(3 * 32 * 32)
    for c in range(3):
        for h in range(32):
            for w in range(32):
                v = rng.randint(0, 90)
                if 3 * label <= h < 3 * label + 3:
                    v += 150
                pixels[(c * 32 + h) * 32 + w] = v
    return bytes([label]) + bytes(pixels)


def write_cifar(directory, train_per_batch, test):
    rng = random.Random(1)
    for b in range(1, 6):
        with open(f"{directory}/data_batch_{b}.bin", "wb") as f:
            for i in range(train_per_batch):
                f.write(record(i % 10, rng))
    with open(f"{directory}/test_batch.bin", "wb") as f:
        for i in range(test):
            f.write(record(i % 10, rng))
    with open(f"{directory}/batches.meta.txt", "w") as f:
        f.write("\n".join(f"class{k}" for k in range(10)) + "\n")


def write_synthetic(path):
    """A safetensors synthetic set written without distill: 2 images per class, no checksums."""
    rng = random.Random(2)
    n = 20
    images = []
    for i in range(n):
        label = i // 2
        for c in range(3):
            for h in range(32):
                for w in range(32):
                    v = rng.random() * 0.35 + (0.6 if 3 * label <= h < 3 * label + 3 else 0.0)
                    images.append(v)
    labels = [i // 2 for i in range(n)]
    blobs = [struct.pack(f"<{len(images)}f", *images), struct.pack(f"<{n}i", *labels), struct.pack("<d", 0.01)]
    header = {
        "__metadata__": {"kind": "distill.synthetic_set", "classes": "10", "dataset": "cifar10",
                         "preprocess.kind": "none"},
        "images": {"dtype": "F32", "shape": [n, 3, 32, 32]},
        "labels": {"dtype": "I32", "shape": [n]},
        "lr": {"dtype": "F64", "shape": []},
    }
    offset = 0
    for name, blob in zip(["images", "labels", "lr"], blobs):
        header[name]["data_offsets"] = [offset, offset + len(blob)]
        offset += len(blob)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


if __name__ == "__main__":
    write_cifar(sys.argv[1], 40, 100)
    write_synthetic(sys.argv[2])

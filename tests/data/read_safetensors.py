"""Reads a safetensors file with nothing but json and numpy, as docs/design.md §5 says users can.

Usage: read_safetensors.py FILE OUT_JSON

Writes {"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [...], "values": [...]}}
to OUT_JSON, which safetensors_test.cpp compares with what it wrote.
"""

import json
import sys

import numpy as np

NUMPY_DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "U8": "u1"}


def main(path, out_path):
    with open(path, "rb") as f:
        raw = f.read()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len].decode("utf-8"))
    data = raw[8 + header_len :]
    out = {"__metadata__": header.get("__metadata__", {}), "__data_start__": 8 + header_len}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=NUMPY_DTYPES[entry["dtype"]])
        array = array.reshape(entry["shape"])
        out[name] = {
            "dtype": entry["dtype"],
            "shape": list(array.shape),
            "values": array.ravel().tolist(),
        }
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

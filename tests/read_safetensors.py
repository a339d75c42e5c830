#!/usr/bin/env python3
"""Reads a safetensors file with nothing but json and struct, as any Python user could, and prints
what it holds: one line per metadata key, then per tensor `name dtype shape sum first-values`.
tests/test_files.c runs it on a model edl saved and checks the lines."""
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8 : 8 + n].decode("utf-8"))
base = 8 + n
for key, value in sorted(header.pop("__metadata__", {}).items()):
    print(f"meta {key}={value}")
for name in sorted(header):
    t = header[name]
    begin, end = t["data_offsets"]
    assert t["dtype"] == "F32"
    count = (end - begin) // 4
    values = struct.unpack(f"<{count}f", data[base + begin : base + end])
    shape = "x".join(str(d) for d in t["shape"])
    first = " ".join(f"{v:.6g}" for v in values[:3])
    print(f"tensor {name} {t['dtype']} {shape} {sum(values):.6g} {first}")

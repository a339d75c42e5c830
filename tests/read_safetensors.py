#!/usr/bin/env python3
"""Reads a safetensors file with nothing but json and struct, as any Python user could, applying
the rules of the safetensors library's reader (an 8-byte little-endian header length, a JSON object
header, known dtypes, each tensor's span = product of its shape x its dtype's size, spans sorted
from 0 without gap or overlap, ending at the file's end), and prints what it holds: one line per
metadata key, per tensor `name dtype shape sum first-values`, then `aligned N of N` (tensors whose
data starts at a 64-byte boundary of the file; edl's alignment padding tensors, `__padding__.K`,
are counted apart). tests/test_files.c runs it on a model edl saved and checks the lines. With --digest it prints the
metadata and each tensor's SHA-256 instead (bench/same_models.sh compares files whose padding
differs)."""
import hashlib
import json
import struct
import sys

SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8,
         "U32": 4, "U16": 2, "U8": 1, "BOOL": 1}
with open(sys.argv[1], "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
text = data[8 : 8 + n].decode("utf-8")
assert text.startswith("{"), "the header must start with {"
header = json.loads(text)
base = 8 + n
meta = header.pop("__metadata__", {})
spans = sorted((t["data_offsets"][0], t["data_offsets"][1], name) for name, t in header.items())
at = 0
for begin, end, name in spans:
    t = header[name]
    assert begin == at, f"{name}: starts at {begin}, expected {at}"
    count = 1
    for d in t["shape"]:
        count *= d
    assert end - begin == count * SIZES[t["dtype"]], f"{name}: span does not match its shape"
    at = end
assert base + at == len(data), "the tensors do not end at the file's end"
for key, value in sorted(meta.items()):
    print(f"meta {key}={value}")
if len(sys.argv) > 2 and sys.argv[2] == "--digest":  # every tensor's bytes, padding left out
    for name in sorted(header):
        if not name.startswith("__padding__."):
            t = header[name]
            begin, end = t["data_offsets"]
            digest = hashlib.sha256(data[base + begin : base + end]).hexdigest()
            print(f"tensor {name} {t['dtype']} {t['shape']} {digest}")
    sys.exit(0)
aligned = total = pads = 0
for name in sorted(header):
    t = header[name]
    begin, end = t["data_offsets"]
    if name.startswith("__padding__."):
        assert t["dtype"] == "U8" and not any(data[base + begin : base + end])
        pads += 1
        continue
    total += 1
    aligned += (base + begin) % 64 == 0
    if t["dtype"] != "F32":
        print(f"tensor {name} {t['dtype']}")
        continue
    count = (end - begin) // 4
    values = struct.unpack(f"<{count}f", data[base + begin : base + end])
    shape = "x".join(str(d) for d in t["shape"])
    first = " ".join(f"{v:.6g}" for v in values[:3])
    print(f"tensor {name} {t['dtype']} {shape} {sum(values):.6g} {first}")
print(f"aligned {aligned} of {total} ({pads} padding tensors)")

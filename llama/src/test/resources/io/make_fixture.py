"""Writes fixture.safetensors by hand (struct + json + numpy), independently of Herd's writer.

Run: python3 make_fixture.py   (numpy only; no torch, no safetensors package)
"""
import json
import struct

import numpy as np

f32 = np.array([[1.5, -2.25, 3.0], [0.0, 1e-3, -7.0]], dtype="<f4")
f16 = np.array([0.5, -65504.0, 6.1035156e-05, 5.9604645e-08], dtype="<f2")   # incl. max and subnormal
# bf16 as raw bit patterns: 1.0, -2.0, 0.15625, 3.0e38-ish (0x7F61)
bf16 = np.array([0x3F80, 0xC000, 0x3E20, 0x7F61], dtype="<u2")

blobs = [("a.f32", "F32", list(f32.shape), f32.tobytes()),
         ("b.f16", "F16", list(f16.shape), f16.tobytes()),
         ("c.bf16", "BF16", [2, 2], bf16.tobytes())]
header, offset, data = {"__metadata__": {"format": "pt", "source": "make_fixture.py"}}, 0, b""
for name, dtype, shape, raw in blobs:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    data += raw
text = json.dumps(header).encode()
with open("fixture.safetensors", "wb") as out:
    out.write(struct.pack("<Q", len(text)))
    out.write(text)
    out.write(data)

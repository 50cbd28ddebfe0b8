"""Writes an N x D float64 .npy file of three Gaussian clusters in blocks of 2^20 rows
(numpy's open_memmap), for bench/stream_scale.cpp: writing it in a separate process keeps the
writer's buffers out of the streamed fit's peak memory.

    python3 bench/write_npy.py FILE N D
"""
import sys

import numpy as np

path, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = np.lib.format.open_memmap(path, mode="w+", dtype="<f8", shape=(n, d))
rng = np.random.default_rng(1)
block = 1 << 20
for begin in range(0, n, block):
    count = min(block, n - begin)
    centres = 4.0 * (np.arange(begin, begin + count) % 3)
    out[begin:begin + count] = centres[:, None] + rng.standard_normal((count, d))
    out.flush()
del out

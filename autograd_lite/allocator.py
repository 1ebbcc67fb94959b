"""An opt-in allocator setting for training loops: keep freed memory in the process (glibc only).

Why: a training step allocates and frees the same large arrays (activations, im2col columns,
gradients) every time. By default glibc serves arrays above a threshold (128 KiB at first, raised as
the program frees larger ones) with fresh mmap calls and returns the freed top of its heap to the OS,
so every step faults the same pages back in. Measured on a 2-vCPU machine: LeNet-5 on MNIST trained
at 64 batches/s until some larger evaluation batch happened to raise glibc's thresholds, and at 150
batches/s after; the hand-written NumPy Adam step of the benchmarks took 2.5 or 0.85 ms depending on
the order of its frees. Fixing the thresholds makes every step as fast as the best case.

It changes the whole process (memory freed is kept for reuse, not given back to the OS), so the library
never does it on its own: the examples, the demo and the benchmarks call `keep_freed_memory()`, and so
can a user's training script. The same without code: MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=1073741824 in the environment. PyTorch's CPU tuning guides give the same
advice (or another allocator, jemalloc or tcmalloc).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3           # from glibc's malloc.h


def keep_freed_memory(mmap_threshold: int = 32 << 20, trim_threshold: int = 1 << 30) -> str:
    """Serve arrays up to `mmap_threshold` bytes from the heap and give memory back to the OS only when
    more than `trim_threshold` bytes are free at its top. Returns what was done, as a sentence; on
    systems without glibc it changes nothing and says so.

    glibc takes both as a C int: each must be from 0 to 2**31 - 1."""
    for name, value in (("mmap_threshold", mmap_threshold), ("trim_threshold", trim_threshold)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 31:
            raise ValueError(f"keep_freed_memory: {name} must be an int from 0 to 2**31 - 1 (glibc's mallopt "
                             f"takes a C int), got {value!r}")
    if not sys.platform.startswith("linux"):
        return f"allocator unchanged: not Linux ({sys.platform})"
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return "allocator unchanged: glibc's mallopt not found"
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    if not mallopt(_M_MMAP_THRESHOLD, mmap_threshold):
        return f"allocator unchanged: glibc refused an mmap threshold of {mmap_threshold} bytes"
    if not mallopt(_M_TRIM_THRESHOLD, trim_threshold):
        return (f"glibc: arrays up to {mmap_threshold >> 20} MiB from the heap; it refused a trim threshold of "
                f"{trim_threshold} bytes")
    return f"glibc: arrays up to {mmap_threshold >> 20} MiB from the heap, freed memory kept up to " \
           f"{trim_threshold >> 20} MiB"

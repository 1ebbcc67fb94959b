"""Convolution and pooling kernels on NumPy arrays: im2col, col2im and pooling windows.

These are the forward functions of the convolution and pooling primitives in `ops.py` (where their
derivative rules are, and a comment explains the math). They work on raw arrays with stride tricks and
matrix products: no Python loop runs over pixels or batch items, only over kernel offsets.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _offset_slices(k: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                   out_size: tuple[int, ...]) -> tuple[slice, ...]:
    """The elements of the padded input that kernel offset `k` reads, one per output position."""
    return tuple(slice(ki * d, ki * d + s * (o - 1) + 1, s)
                 for ki, s, d, o in zip(k, stride, dilation, out_size))


def _out_size(padded: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
              dilation: tuple[int, ...]) -> tuple[int, ...]:
    return tuple((p - d * (k - 1) - 1) // s + 1 for p, k, s, d in zip(padded, kernel, stride, dilation))


def _transpose2d(a: np.ndarray) -> np.ndarray:
    """a.T (a 2-D) as a new C-contiguous array.

    NumPy fills the result row by row, reading a column of `a` each time. When a's rows are a multiple
    of 1 KiB apart (channels * pixels is often a power of 2), those reads fall into the same few cache
    sets and evict each other: 4-5x slower. Then 32-column blocks are gathered first, so that each block
    is transposed inside the cache.
    """
    rows, cols = a.shape
    if (cols * a.itemsize) % 1024 or a.itemsize > 8:
        return np.ascontiguousarray(a.T)
    blocks = np.ascontiguousarray(a.reshape(rows, cols // 32, 32).transpose(1, 0, 2))
    return np.ascontiguousarray(blocks.transpose(0, 2, 1)).reshape(cols, rows)


def _batch_last(x: np.ndarray, padding: tuple) -> np.ndarray:
    """(N, C, *S) -> zero-padded (C, *S_padded, N)."""
    n, c, size = x.shape[0], x.shape[1], x.shape[2:]
    moved = _transpose2d(x.reshape(n, c * math.prod(size))).reshape(c, *size, n)
    if not builtins.any(lo or hi for lo, hi in padding):
        return moved
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    xt = np.zeros((c, *padded, n), dtype=x.dtype)
    xt[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(size, padding)))] = moved
    return xt


def _im2col(xt: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
            out_size: tuple[int, ...]) -> np.ndarray:
    """(C, *P, N) -> cols (C, *kernel, *out_size, N): cols[c, k, p, n] = xt[c, stride*p + dilation*k, n].
    All windows as one strided view of the input (no copy), then one copy."""
    s = xt.strides
    view = as_strided(xt, shape=(xt.shape[0], *kernel, *out_size, xt.shape[-1]),
                      strides=(s[0], *(d * t for d, t in zip(dilation, s[1:-1])),
                               *(st * t for st, t in zip(stride, s[1:-1])), s[-1]),
                      writeable=False)
    return np.ascontiguousarray(view)


def _col2im(cols: np.ndarray, padded: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
            dilation: tuple[int, ...], out_size: tuple[int, ...]) -> np.ndarray:
    """The adjoint of _im2col: add every column back to the window it was read from, (C, *P, N).
    One vectorised add per kernel offset; where windows overlap, their contributions accumulate."""
    xt = np.zeros((cols.shape[0], *padded, cols.shape[-1]), dtype=cols.dtype)
    for k in np.ndindex(*kernel):
        xt[(slice(None), *_offset_slices(k, stride, dilation, out_size))] += cols[(slice(None), *k)]
    return xt


def _rows(out_size: tuple[int, ...], n: int) -> int:
    """Into how many blocks to cut the columns of the products: one per output row when a row holds
    enough columns. OpenBLAS runs a stack of (k x 1536) products 1.5-4x faster than one (k x 36864)."""
    return out_size[0] if math.prod(out_size[1:]) * n >= 256 else 1


def _stack(a: np.ndarray, height: int, groups: int, rows: int) -> np.ndarray:
    """A contiguous (channels, ..., *out_size, N) array whose first dims hold `height` matrix rows, as a
    view (rows, groups, height / groups, columns): the matrices of the products, one per block of output
    rows and group."""
    return a.reshape(groups, height // groups, rows, a.size // height // rows).transpose(2, 0, 1, 3)


def _cols(x: np.ndarray, kernel: tuple[int, ...], out_size: tuple[int, ...], stride: tuple[int, ...],
          padding: tuple, dilation: tuple[int, ...], groups: int, rows: int) -> np.ndarray:
    cols = _im2col(_batch_last(x, padding), kernel, stride, dilation, out_size)
    return _stack(cols, x.shape[1] * math.prod(kernel), groups, rows)


def _grad_cols(g: np.ndarray, groups: int, rows: int) -> np.ndarray:
    """The output gradient (N, O, *S) in the columns' layout (O, *S, N), stacked like them."""
    n, o, out_size = g.shape[0], g.shape[1], g.shape[2:]
    gt = _transpose2d(g.reshape(n, o * math.prod(out_size))).reshape(o, *out_size, n)
    return _stack(gt, o, groups, rows)


def _conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, ...],
                  padding: tuple, dilation: tuple[int, ...], groups: int) -> np.ndarray:
    n, o, kernel = x.shape[0], w.shape[0], w.shape[2:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], padding))
    size = _out_size(padded, kernel, stride, dilation)
    rows = _rows(size, n)
    y = np.matmul(w.reshape(groups, o // groups, -1), _cols(x, kernel, size, stride, padding, dilation, groups, rows))
    # y is (rows, O, size[0] / rows, *size[1:], N) in memory; the result is (N, O, *size)
    y = y.reshape(rows, o, size[0] // rows, *size[1:], n).swapaxes(0, 1)
    out = np.ascontiguousarray(np.moveaxis(y, -1, 0)).reshape(n, o, *size)
    if b is not None:
        out += b.reshape(o, *(1,) * len(size))
    return out


def _conv_transpose_forward(g: np.ndarray, w: np.ndarray, size: tuple[int, ...], stride: tuple[int, ...],
                            padding: tuple, dilation: tuple[int, ...], groups: int) -> np.ndarray:
    # dx = col2im(W^T @ g): each output gradient is spread back over the window it was computed from.
    n, o, out_size = g.shape[0], g.shape[1], g.shape[2:]
    c, kernel = w.shape[1] * groups, w.shape[2:]
    rows = _rows(out_size, n)
    cols = np.matmul(w.reshape(groups, o // groups, -1).swapaxes(1, 2), _grad_cols(g, groups, rows))
    # cols is (rows, C, *kernel, out_size[0] / rows, *out_size[1:], N) in memory: view it as
    # (C, *kernel, *out_size, N), the layout col2im reads (rows or out_size[0] / rows is 1: no copy)
    cols = cols.reshape(rows, c, *kernel, out_size[0] // rows, *out_size[1:], n)
    cols = np.moveaxis(cols, 0, 1 + len(kernel)).reshape(c, *kernel, *out_size, n)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    xt = _col2im(cols, padded, kernel, stride, dilation, out_size)
    if padded == tuple(size):
        return _transpose2d(xt.reshape(c * math.prod(size), n)).reshape(n, c, *size)
    inner = xt[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(size, padding)))]
    return np.ascontiguousarray(np.moveaxis(inner, -1, 0))


def _conv_weight_grad_forward(x: np.ndarray, g: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
                              padding: tuple, dilation: tuple[int, ...], groups: int) -> np.ndarray:
    # dW = g @ cols^T, summed over pixels and batch by the products. Computed as cols @ g^T and
    # transposed (a tiny copy): BLAS is up to twice as fast with the long axis in that position.
    o, out_size = g.shape[1], g.shape[2:]
    rows = _rows(out_size, g.shape[0])
    cols = _cols(x, kernel, out_size, stride, padding, dilation, groups, rows)
    dwt = np.matmul(cols, _grad_cols(g, groups, rows).swapaxes(2, 3)).sum(axis=0)   # (G, in/G * kernel, O/G)
    return np.ascontiguousarray(dwt.swapaxes(1, 2)).reshape(o, -1, *kernel)


# Pooling. Max pooling picks one element per window: the caller finds where (max_pool_index), and
# the primitive reads those elements, so its gradient goes back to exactly them (scattered, and added
# where windows overlap). Average pooling is a fixed linear map: window sums divided by `divisor`
# (a number, or one per output position); its adjoint spreads g / divisor back over each window.


def max_pool_index(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                   dilation: tuple[int, ...], out_size: tuple[int, ...]) -> np.ndarray:
    """Where each window's maximum is: int64 (N, C, *out_size) positions in each (n, c) plane of the
    unpadded input, flattened row-major (PyTorch's `indices`).

    As PyTorch's CPU kernel: a window starts at its first element inside the input, later elements
    replace it only if strictly greater (ties go to the first max) or NaN; padding is never chosen.
    One vectorised comparison per kernel offset, keeping the best value and the offset it came from.
    """
    spatial = x.shape[2:]
    hi = [builtins.max(0, (o - 1) * s + d * (k - 1) + 1 - n - p)
          for o, s, d, k, n, p in zip(out_size, stride, dilation, kernel, spatial, padding)]
    if builtins.any(padding) or builtins.any(hi):
        x_pad = np.pad(x, [(0, 0), (0, 0)] + list(zip(padding, hi)), constant_values=-np.inf)
    else:
        x_pad = x
    # Position in the plane = sum over dims of (start + k * dilation) * plane stride = where the window
    # starts + how far offset k is from there: track that distance, one number per offset.
    plane = [math.prod(spatial[j + 1:]) for j in range(len(spatial))]
    grid = [np.reshape(np.arange(o) * s - p, (-1,) + (1,) * (len(spatial) - 1 - j))
            for j, (o, s, p) in enumerate(zip(out_size, stride, padding))]
    start = builtins.sum(st * ps for st, ps in zip(grid, plane))
    # the first kernel offset inside the input, per output position: where PyTorch's window starts
    first = builtins.sum(np.maximum(0, -(st // d)) * d * ps for st, d, ps in zip(grid, dilation, plane))
    dist = np.broadcast_to(first, x.shape[:2] + tuple(out_size)).astype(np.int64)
    best = np.full(dist.shape, -np.inf, dtype=x.dtype)
    take = np.empty(dist.shape, dtype=bool)
    has_nan = x.dtype.kind == "f" and bool(np.isnan(x).any())
    for k in np.ndindex(*kernel):
        v = x_pad[(slice(None), slice(None), *_offset_slices(k, stride, dilation, out_size))]
        np.greater(v, best, out=take)
        if has_nan:
            take |= np.isnan(v)
        dist = np.where(take, builtins.sum(ki * d * ps for ki, d, ps in zip(k, dilation, plane)), dist)
        np.maximum(best, v, out=best)                     # NaN stays NaN, as the comparison above wants
    return dist + start


def _max_pool_forward(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    n, c = x.shape[:2]
    flat = np.take_along_axis(x.reshape(n, c, math.prod(x.shape[2:])),
                              index.reshape(n, c, math.prod(index.shape[2:])), axis=2)
    return flat.reshape(index.shape)


def _max_pool_backward_forward(g: np.ndarray, index: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    # Adds g into zeros at the arg-max positions; bincount adds repeats (overlapping windows).
    planes, plane = shape[0] * shape[1], math.prod(shape[2:])
    flat = (index.reshape(planes, math.prod(index.shape[2:])) + (np.arange(planes) * plane)[:, None]).ravel()
    out = np.bincount(flat, weights=np.ravel(g), minlength=planes * plane)
    return out.astype(g.dtype, copy=False).reshape(shape)


def _avg_pool_forward(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                      divisor: Any) -> np.ndarray:
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding]) if builtins.any(padding) else x
    ones = (1,) * len(kernel)
    size = _out_size(xp.shape[2:], kernel, stride, ones)
    total = np.zeros(x.shape[:2] + size, dtype=x.dtype)
    for k in np.ndindex(*kernel):
        total += xp[(slice(None), slice(None), *_offset_slices(k, stride, ones, size))]
    return total / divisor


def _avg_pool_backward_forward(g: np.ndarray, size: tuple[int, ...], kernel: tuple[int, ...],
                               stride: tuple[int, ...], padding: tuple[int, ...], divisor: Any) -> np.ndarray:
    share = g / divisor
    ones = (1,) * len(kernel)
    xp = np.zeros(g.shape[:2] + tuple(s + 2 * p for s, p in zip(size, padding)), dtype=share.dtype)
    for k in np.ndindex(*kernel):
        xp[(slice(None), slice(None), *_offset_slices(k, stride, ones, g.shape[2:]))] += share
    return np.ascontiguousarray(xp[(slice(None), slice(None), *(slice(p, p + s) for s, p in zip(size, padding)))])



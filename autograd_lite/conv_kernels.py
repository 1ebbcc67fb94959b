"""Convolution and pooling kernels on NumPy arrays: im2col, col2im and pooling windows.

These are the forward functions of the convolution and pooling primitives in `ops.py` (where their
derivative rules are, and a comment explains the math). They work on raw arrays with stride tricks and
matrix products: no Python loop runs over pixels or batch items, only over kernel offsets.
"""

from __future__ import annotations

import builtins
import functools
import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _last(a: np.ndarray) -> np.ndarray:
    """a with its first axis moved last, as a view: np.moveaxis(a, 0, -1) without its argument checks
    (3 us against a transpose's 0.3; conv and pooling do this several times per step)."""
    return a.transpose(*range(1, a.ndim), 0)


def _first(a: np.ndarray) -> np.ndarray:
    """a with its last axis moved first, as a view (the inverse of `_last`)."""
    return a.transpose(a.ndim - 1, *range(a.ndim - 1))


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


def _batch_last(x: np.ndarray, padding: tuple = ()) -> np.ndarray:
    """(N, C, *S) -> zero-padded (C, *S_padded, N). No copy when x's memory is already batch-last and no
    padding is asked for: a convolution returns its output as exactly such a view (see `conv`)."""
    n, c, size = x.shape[0], x.shape[1], x.shape[2:]
    moved = _last(x)
    if not moved.flags.c_contiguous:
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


@functools.lru_cache(maxsize=256)
def _blocks(pixels: int, n: int, work: int) -> int:
    """Into how many blocks of whole output pixels to cut the columns of a product whose rows x inner
    dimension is `work`.

    OpenBLAS runs these short, wide products (a few dozen rows, thousands of columns) fastest on
    blocks of a few hundred columns that stay in cache: measured for LeNet's second convolution, 64
    blocks of 64 columns take 190 us, one product of 4096 columns 460 us. And it splits a product
    over its threads only above 4 * 65536 multiply-adds (rows x inner x columns): below that a block
    runs on the calling thread, with no hand-over to a second BLAS thread (which on two cores cost
    more than it saved here). So: the widest blocks under that size, and the count divides `pixels`.
    """
    divisors = [d for d in range(1, pixels + 1) if pixels % d == 0]
    return pixels // builtins.max([d for d in divisors if d * n * work <= 4 * 65536], default=1)


def _matmul_blocks(a: np.ndarray, b: np.ndarray, blocks: int) -> np.ndarray:
    """a @ b for stacks (G, M, K) @ (G, K, L), computed as `blocks` products of L / blocks columns each,
    every one written in place into the (G, M, L) result."""
    g, m, _ = a.shape
    length = b.shape[-1]
    out = np.empty((g, m, length), dtype=np.result_type(a, b))
    if blocks == 1:
        return np.matmul(a, b, out=out)
    width = length // blocks
    np.matmul(a[None], b.reshape(g, b.shape[1], blocks, width).transpose(2, 0, 1, 3),
              out=out.reshape(g, m, blocks, width).transpose(2, 0, 1, 3))
    return out


def _cols(x: np.ndarray, kernel: tuple[int, ...], out_size: tuple[int, ...], stride: tuple[int, ...],
          padding: tuple, dilation: tuple[int, ...]) -> np.ndarray:
    """The columns of x: (C, *kernel, *out_size, N)."""
    return _im2col(_batch_last(x, padding), kernel, stride, dilation, out_size)


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, ...],
                  padding: tuple, dilation: tuple[int, ...], groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution, (N, O, *size), and the columns it multiplied (saved for the weight gradient)."""
    n, o, kernel = x.shape[0], w.shape[0], w.shape[2:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], padding))
    size = _out_size(padded, kernel, stride, dilation)
    cols = _cols(x, kernel, size, stride, padding, dilation)
    rows = cols.shape[0] // groups * math.prod(kernel)
    y = _matmul_blocks(w.reshape(groups, o // groups, rows), cols.reshape(groups, rows, math.prod(size) * n),
                       _blocks(math.prod(size), n, rows * o // groups)).reshape(o, *size, n)
    if b is not None:
        y += b.reshape(o, *(1,) * (len(size) + 1))
    # The result is (N, O, *size) as a view of the (O, *size, N) memory the products wrote: no transpose.
    # NumPy's elementwise ops keep that layout, and the next convolution or pooling reads it as it is.
    return _first(y), cols


def _input_grad(gt: np.ndarray, w: np.ndarray, size: tuple[int, ...], stride: tuple[int, ...],
                padding: tuple, dilation: tuple[int, ...], groups: int) -> np.ndarray:
    """dx = col2im(W^T @ g) from the output gradient gt in the columns' layout (O, *out_size, N).

    The rows of W^T are ordered (kernel offset, channel), so the columns for one kernel offset are one
    contiguous (C, *out_size, N) block: col2im adds each block into its window with one vectorised add.
    """
    o, out_size, n = gt.shape[0], gt.shape[1:-1], gt.shape[-1]
    cg, kernel = w.shape[1], w.shape[2:]
    kk = math.prod(kernel)
    wk = w.reshape(groups, o // groups, cg, kk).transpose(0, 3, 2, 1).reshape(groups, kk * cg, o // groups)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    if groups == 1 and len(kernel) == 2 and stride == (1, 1) and n:
        xt = _input_grad_rows(gt, wk[0], padded, kernel, dilation)
    else:
        dcols = _matmul_blocks(wk, gt.reshape(groups, o // groups, math.prod(out_size) * n),
                               _blocks(math.prod(out_size), n, kk * cg * o // groups))
        dcols = dcols.reshape(groups, kk, cg, *out_size, n)
        xt = np.zeros((groups * cg, *padded, n), dtype=dcols.dtype)
        for i, k in enumerate(np.ndindex(*kernel)):
            for j in range(groups):
                window = xt[(slice(j * cg, (j + 1) * cg), *_offset_slices(k, stride, dilation, out_size))]
                np.add(window, dcols[j, i], out=window)
    if padded != tuple(size):
        xt = xt[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(size, padding)))]
    return _first(xt)


def _input_grad_rows(gt: np.ndarray, wk: np.ndarray, padded: tuple[int, ...], kernel: tuple[int, ...],
                     dilation: tuple[int, ...]) -> np.ndarray:
    """col2im(W^T @ g) for a 2-D convolution with stride 1, with whole rows: the product's columns are
    laid out with the input's row length (Wp, the extra Wp - Wo columns zero), so that a kernel offset's
    block lands on its window as one contiguous run per channel, shifted by (kh dh Wp + kw dw) N in the
    flattened (Hp, Wp, N) plane. NumPy adds long contiguous runs 2-3x faster than the windows' short
    rows (conv2 of LeNet: 520 -> 440 us for the product and col2im together). The zeros a block carries
    past its row land on the next row's first elements, or in a margin that is cut off at the end.
    """
    (ho, wo), n = gt.shape[1:-1], gt.shape[-1]
    (hp, wp), (dh, dw) = padded, dilation
    rows = wk.shape[0]                                    # kernel offsets x channels
    c = rows // math.prod(kernel)
    wide = np.empty((rows, ho, wp, n), dtype=np.result_type(wk, gt))
    wide[:, :, wo:] = 0
    # one product per output pixel, each written into its place in the wide layout
    np.matmul(wk, gt.transpose(1, 2, 0, 3), out=wide[:, :, :wo].transpose(1, 2, 0, 3))
    plane, run = hp * wp * n, ho * wp * n
    flat = np.zeros((c, plane + (wp - wo) * n), dtype=wide.dtype)
    blocks = wide.reshape(math.prod(kernel), c, run)
    for i, (kh, kw) in enumerate(np.ndindex(*kernel)):
        start = (kh * dh * wp + kw * dw) * n
        window = flat[:, start:start + run]
        np.add(window, blocks[i], out=window)
    return flat[:, :plane].reshape(c, hp, wp, n)


@functools.lru_cache(maxsize=256)
def _sum_block(length: int) -> int:
    """The width of the blocks a weight gradient's sum over `length` columns is cut into: the largest
    divisor of `length` from 256 to 1024, for sums longer than 4096; else 0 (one product)."""
    if length <= 4096:
        return 0
    return next((d for d in range(1024, 255, -1) if length % d == 0), 0)


def _weight_grad(cols: np.ndarray, gt: np.ndarray, w_shape: tuple[int, ...], groups: int) -> np.ndarray:
    """dW = g @ cols^T, summed over pixels and batch by the product. Computed as cols @ g^T and
    transposed (a tiny copy): BLAS is up to twice as fast with the long axis in that position.

    A long sum (LeNet's first convolution: 50176 pixels x batch) is cut into blocks of at most 1024
    columns whose products are added: OpenBLAS took 660 us for its (25 x 50176) @ (50176 x 6) in one
    call and 220 us in 49 blocks (it handles a skinny product with a very long inner dimension badly).
    """
    o = w_shape[0]
    rows = cols.shape[0] // groups * math.prod(w_shape[2:])
    length = gt.size // o if o else 0
    c, g = cols.reshape(groups, rows, length), gt.reshape(groups, o // groups, length)
    width = _sum_block(length)
    if width:
        blocks = length // width
        dwt = np.matmul(c.reshape(groups, rows, blocks, width).transpose(2, 0, 1, 3),
                        g.reshape(groups, o // groups, blocks, width).transpose(2, 0, 3, 1)).sum(axis=0)
    else:
        dwt = np.matmul(c, g.swapaxes(1, 2))                                  # (G, in/G * kernel, O/G)
    return np.ascontiguousarray(dwt.swapaxes(1, 2)).reshape(w_shape)


def conv_transpose(g: np.ndarray, w: np.ndarray, size: tuple[int, ...], stride: tuple[int, ...],
                            padding: tuple, dilation: tuple[int, ...], groups: int) -> np.ndarray:
    return _input_grad(_batch_last(g), w, size, stride, padding, dilation, groups)


def conv_weight_grad(x: np.ndarray, g: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
                              padding: tuple, dilation: tuple[int, ...], groups: int) -> np.ndarray:
    cols = _cols(x, kernel, g.shape[2:], stride, padding, dilation)
    return _weight_grad(cols, _batch_last(g), (g.shape[1], x.shape[1] // groups, *kernel), groups)


def conv_gradients(mask: Any, g: np.ndarray, out: np.ndarray, x: np.ndarray, w: np.ndarray, b: Any,
                   stride: tuple[int, ...], padding: tuple, dilation: tuple[int, ...], groups: int,
                   saved: np.ndarray | None = None) -> list:
    """The gradients of conv for the inputs `mask` asks for, (dx, dw, db), sharing the output gradient's
    layout (and computing none that nobody needs), as PyTorch's convolution_backward with its mask."""
    gt = _batch_last(g)
    dx = _input_grad(gt, w, x.shape[2:], stride, padding, dilation, groups) if mask[0] else None
    dw = None
    if mask[1]:
        cols = saved if saved is not None else _cols(x, w.shape[2:], g.shape[2:], stride, padding, dilation)
        dw = _weight_grad(cols, gt, w.shape, groups)
    db = gt.reshape(gt.shape[0], -1 if gt.size else 0).sum(axis=1) if mask[2] else None
    return [dx, dw, db]


# Pooling. Max pooling picks one element per window: the caller finds where (`max_pool_argmax`), and
# the primitive reads those elements, so its gradient goes back to exactly them (scattered, and added
# where windows overlap). Average pooling is a fixed linear map: window sums divided by `divisor`
# (a number, or one per output position); its adjoint spreads g / divisor back over each window.
#
# The kernels work on a (B, *spatial, T) view of the input with no copy: (N*C, *S, 1) for ordinary
# (N, C, *S) memory, (C, *S, N) for the batch-last memory a convolution returns. Their results keep
# that memory order, so a conv -> ReLU -> pool -> conv chain never transposes between its layers.


def _canonical(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """x (N, C, *S) as a C-contiguous (B, *S, T) array, and whether it is the batch-last layout."""
    batch_last = x.shape[0] > 1 and _last(x).flags.c_contiguous and not x.flags.c_contiguous
    return _in_layout(x if batch_last else np.ascontiguousarray(x), batch_last), batch_last


def _in_layout(a: np.ndarray, batch_last: bool) -> np.ndarray:
    """a (N, C, *S) as (B, *S, T) in the given layout (a view when its memory already is that way): how
    an array that meets an ArgMax is read, whatever its own memory order."""
    return _last(a) if batch_last else a.reshape(a.shape[0] * a.shape[1], *a.shape[2:], 1)


def _restore(a: np.ndarray, batch_last: bool, n: int, c: int) -> np.ndarray:
    """The inverse of `_canonical` for a (B, *S', T) result: an (N, C, *S') array (or view)."""
    return _first(a) if batch_last else a.reshape(n, c, *a.shape[1:-1])


class ArgMax:
    """Where each max-pooling window's maximum is: what the `max_pool` op keeps for its gradient.

    In the input's `_canonical` layout, (B, *out_size, T): `which` is the kernel offset (its number in
    row-major order) that won each window, when every window lies inside the input; `index` is the
    winner's position flattened within its (H, W) plane, PyTorch's `indices` (`indices()` returns
    them as (N, C, *out_size)); it is computed from `which` when first needed. `values` holds the
    maxima found on the way, which the op's forward takes instead of reading them again, once.
    """

    __slots__ = ("which", "_index", "values", "source", "shape", "batch_last", "kernel", "stride", "padding",
                 "dilation", "_start")

    def __init__(self, which: np.ndarray | None, index: np.ndarray | None, start: np.ndarray,
                 values: np.ndarray, source: np.ndarray, batch_last: bool, kernel: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...]) -> None:
        self.which, self._index, self._start = which, index, start
        self.values, self.source = values, source
        self.shape, self.batch_last = source.shape, batch_last
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation

    @property
    def disjoint(self) -> bool:
        """No input element is in two windows: the gradient can be written in place, not added up."""
        return all(s >= d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))

    @property
    def index(self) -> np.ndarray:
        if self._index is None:
            plane = [math.prod(self.shape[2 + j + 1:]) for j in range(len(self.kernel))]
            index = np.array(self._start, dtype=np.int64) if self._start.shape == self.which.shape else \
                np.broadcast_to(self._start, self.which.shape).astype(np.int64)
            rest = self.which.astype(np.int64)
            for k, d, ps in reversed(list(zip(self.kernel, self.dilation, plane))):   # mixed radix digits
                index += (rest % k) * (d * ps)
                rest //= k
            self._index = index
        return self._index

    def indices(self) -> np.ndarray:
        return _restore(self.index, self.batch_last, *self.shape[:2])

    def __repr__(self) -> str:
        """The pooling's settings, as an op label shows them (padding and dilation when not the default)."""
        parts = [f"kernel={self.kernel}", f"stride={self.stride}"]
        if any(self.padding):
            parts.append(f"padding={self.padding}")
        if any(d != 1 for d in self.dilation):
            parts.append(f"dilation={self.dilation}")
        return ", ".join(parts)


def max_pool_argmax(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                    dilation: tuple[int, ...], out_size: tuple[int, ...]) -> ArgMax:
    """Find each window's maximum and where it is.

    As PyTorch's CPU kernel: a window starts at its first element inside the input, later elements
    replace it only if strictly greater (ties go to the first max) or NaN; padding is never chosen.
    One vectorised comparison per kernel offset, keeping the best value and the offset it came from.
    """
    xc, batch_last = _canonical(x)
    spatial = x.shape[2:]
    nd = len(spatial)
    hi = [builtins.max(0, (o - 1) * s + d * (k - 1) + 1 - n - p)
          for o, s, d, k, n, p in zip(out_size, stride, dilation, kernel, spatial, padding)]
    inside = not builtins.any(padding) and not builtins.any(hi)
    if not inside:
        xc = np.pad(xc, [(0, 0)] + list(zip(padding, hi)) + [(0, 0)], constant_values=-np.inf)
    # Position in the plane = sum over dims of (start + k * dilation) * plane stride = where the window
    # starts + how far offset k is from there: track that distance, one number per offset.
    plane = [math.prod(spatial[j + 1:]) for j in range(nd)]
    grid = [np.reshape(np.arange(o) * s - p, (-1,) + (1,) * (nd - j))
            for j, (o, s, p) in enumerate(zip(out_size, stride, padding))]
    start = builtins.sum(st * ps for st, ps in zip(grid, plane))
    has_nan = x.dtype.kind == "f" and xc.size > 0 and bool(np.isnan(np.min(xc)))   # min propagates NaN
    views = [xc[(slice(None), *_offset_slices(k, stride, dilation, out_size))] for k in np.ndindex(*kernel)]
    take = np.empty(views[0].shape, dtype=bool)
    if inside and len(views) < 256:
        # Every window lies inside the input: start from its first element and keep the number of the
        # winning offset in one byte, updated by arithmetic (which += take * (i - which), exact modulo
        # 256): NumPy's masked assignments (copyto with where=, putmask) are 10-30x slower.
        best = views[0].copy()
        which = np.zeros(best.shape, dtype=np.uint8)
        step = np.empty_like(which)
        for i, v in enumerate(views[1:], 1):
            np.greater(v, best, out=take)
            if has_nan:
                take |= np.isnan(v)
            np.subtract(np.uint8(i), which, out=step)
            np.multiply(step, take, out=step)
            which += step
            np.maximum(best, v, out=best)             # NaN stays NaN, as the comparison above wants
        return ArgMax(which, None, start, best, x, batch_last, kernel, stride, padding, dilation)
    # The first kernel offset inside the input, per output position: where PyTorch's window starts
    first = builtins.sum(np.maximum(0, -(st // d)) * d * ps for st, d, ps in zip(grid, dilation, plane))
    index = np.array(np.broadcast_to(first, views[0].shape), dtype=np.int64)
    best = np.full(index.shape, -np.inf, dtype=x.dtype)
    for k, v in zip(np.ndindex(*kernel), views):
        np.greater(v, best, out=take)
        if has_nan:
            take |= np.isnan(v)
        np.putmask(index, take, builtins.sum(ki * d * ps for ki, d, ps in zip(k, dilation, plane)))
        np.maximum(best, v, out=best)
    index += start
    return ArgMax(None, index, start, best, x, batch_last, kernel, stride, padding, dilation)


def max_pool(x: np.ndarray, argmax: ArgMax) -> np.ndarray:
    if argmax.values is not None and argmax.source is x:
        values, argmax.values, argmax.source = argmax.values, None, None   # taken once: no second copy kept
    else:
        # Another array read at the same positions (double backward reads the gradient there).
        index = argmax.index
        b, t = index.shape[0], index.shape[-1]
        xc = _in_layout(x, argmax.batch_last).reshape(b, math.prod(x.shape[2:]), t)
        values = np.take_along_axis(xc, index.reshape(b, math.prod(index.shape[1:-1]), t), axis=1)
        values = values.reshape(index.shape)
    return _restore(values, argmax.batch_last, *x.shape[:2])


def max_pool_backward(g: np.ndarray, argmax: ArgMax, shape: tuple[int, ...]) -> np.ndarray:
    # Puts g at the arg-max positions of zeros, in the layout the input had.
    n, c, plane = shape[0], shape[1], math.prod(shape[2:])
    gc = _in_layout(g, argmax.batch_last)
    b, t = gc.shape[0], gc.shape[-1]
    out_plane = math.prod(g.shape[2:])
    dx = np.zeros((b, *shape[2:], t), dtype=g.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = bool(np.isfinite(np.sum(gc)))       # a sum that overflows only sends us the slower way
    if argmax.which is not None and argmax.disjoint and finite:
        # Windows inside the input that do not overlap: write g * (offset k won) into offset k's view of
        # dx, one vectorised product per offset. (Not for inf or NaN in g: 0 * inf would be NaN.)
        won = np.empty(gc.shape, dtype=bool)
        for i, k in enumerate(np.ndindex(*argmax.kernel)):
            np.equal(argmax.which, i, out=won)
            np.multiply(gc, won, out=dx[(slice(None), *_offset_slices(k, argmax.stride, argmax.dilation,
                                                                        g.shape[2:]))])
    elif argmax.disjoint:
        np.put_along_axis(dx.reshape(b, plane, t), argmax.index.reshape(b, out_plane, t),
                          gc.reshape(b, out_plane, t), axis=1)
    else:
        # Overlapping windows: bincount adds up the gradients that reach the same element.
        flat = (argmax.index.reshape(b, out_plane, t) * t + (np.arange(b) * (plane * t))[:, None, None]
                + np.arange(t)).ravel()
        dx = np.bincount(flat, weights=np.ravel(gc), minlength=b * plane * t).astype(g.dtype, copy=False)
    return _restore(dx.reshape(b, *shape[2:], t), argmax.batch_last, n, c)


def avg_pool(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                      divisor: Any) -> np.ndarray:
    xc, batch_last = _canonical(x)
    if builtins.any(padding):
        xc = np.pad(xc, [(0, 0)] + [(p, p) for p in padding] + [(0, 0)])
    ones = (1,) * len(kernel)
    size = _out_size(xc.shape[1:-1], kernel, stride, ones)
    total = np.zeros((xc.shape[0], *size, xc.shape[-1]), dtype=x.dtype)
    for k in np.ndindex(*kernel):
        total += xc[(slice(None), *_offset_slices(k, stride, ones, size))]
    if isinstance(divisor, np.ndarray):
        divisor = divisor[..., None]                # one per output position, (*size) -> (*size, 1)
    return _restore(total / divisor, batch_last, *x.shape[:2])


def avg_pool_backward(g: np.ndarray, size: tuple[int, ...], kernel: tuple[int, ...],
                               stride: tuple[int, ...], padding: tuple[int, ...], divisor: Any) -> np.ndarray:
    gc, batch_last = _canonical(g)
    if isinstance(divisor, np.ndarray):
        divisor = divisor[..., None]
    share = gc / divisor
    ones = (1,) * len(kernel)
    xp = np.zeros((gc.shape[0], *(s + 2 * p for s, p in zip(size, padding)), gc.shape[-1]), dtype=share.dtype)
    for k in np.ndindex(*kernel):
        xp[(slice(None), *_offset_slices(k, stride, ones, g.shape[2:]))] += share
    inner = xp[(slice(None), *(slice(p, p + s) for s, p in zip(size, padding)))]
    return _restore(inner, batch_last, *g.shape[:2])

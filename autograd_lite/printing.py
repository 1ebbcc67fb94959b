"""How a tensor prints: PyTorch's format (`tensor([1.0000, 2.5000], requires_grad=True)`), `set_printoptions`.

One format for all the values of a tensor, chosen as PyTorch chooses it: whole numbers print as `2.`; others
with `precision` decimals, or in scientific notation when the magnitudes span more than a factor of 1000 (or
are above 1e8, or below 1e-4); all right-aligned to one width, wrapped at `linewidth`, and, beyond `threshold`
elements, summarised to `edgeitems` at each end of each dim with `...`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


OPTIONS = PrintOptions()
PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}
DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))   # not shown as dtype=
dtype_prefix = ""          # "torch." while torch_compat is installed: `dtype=torch.float64`, as PyTorch prints


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """PyTorch's `set_printoptions`: `profile` ("default", "short", "full") first, then the values given."""
    if profile is not None:
        if profile not in PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        OPTIONS.precision, OPTIONS.threshold, OPTIONS.edgeitems, OPTIONS.linewidth = PROFILES[profile]
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTIONS, name, value)
    OPTIONS.sci_mode = sci_mode          # as PyTorch: None (chosen per tensor) unless given


class _Format:
    """The one format of a tensor's values (of those shown, when summarised)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return
        magnitudes = np.abs(shown.astype(np.float64))
        low, high = magnitudes.min(), magnitudes.max()
        self.int_mode = bool((shown == np.ceil(shown)).all())
        self.sci_mode = (high / low > 1000.0 or high > 1e8 or low < 1e-4) if OPTIONS.sci_mode is None \
            else OPTIONS.sci_mode
        self.width = max(len(self._text(v)) for v in shown.tolist())     # (a whole number's "." included)

    def _text(self, value: Any) -> str:
        if not self.floating:
            return str(value)
        if self.sci_mode:
            return f"{value:.{OPTIONS.precision}e}"
        if self.int_mode:
            return f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        return f"{value:.{OPTIONS.precision}f}"

    def __call__(self, value: Any) -> str:
        return self._text(value).rjust(self.width)


def _summarised(a: np.ndarray) -> np.ndarray:
    """The values shown: `edgeitems` at each end of each long dim (for choosing the format)."""
    k = OPTIONS.edgeitems
    if a.ndim == 0 or a.shape[0] <= 2 * k:
        return a if a.ndim <= 1 else np.stack([_summarised(row) for row in a]) if len(a) else a
    ends = np.concatenate([a[:k], a[-k:]]) if k else a[:0]
    return ends if a.ndim == 1 else np.stack([_summarised(row) for row in ends]) if len(ends) else ends


def _body(a: np.ndarray, indent: int, summarise: bool, fmt: _Format) -> str:
    k = OPTIONS.edgeitems
    if a.ndim == 0:
        return fmt(a.item())
    long = summarise and a.shape[0] > 2 * k
    if a.ndim == 1:
        items = ([fmt(v) for v in a[:k].tolist()] + [" ..."] + [fmt(v) for v in a[len(a) - k:].tolist()]
                 if long else [fmt(v) for v in a.tolist()])
        per_line = max(1, (OPTIONS.linewidth - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(k) if long else range(len(a))
    parts = [_body(a[i], indent + 1, summarise, fmt) for i in rows]
    if long:
        parts += ["..."] + [_body(a[i], indent + 1, summarise, fmt) for i in range(len(a) - k, len(a))]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(array: np.ndarray, suffixes: list[str], prefix: str = "tensor(") -> str:
    """`tensor(<values>, <suffixes>)`, as PyTorch prints it; `dtype=` is added here when not a default one."""
    indent = len(prefix)
    shown_dtype = f"dtype={dtype_prefix}{array.dtype.name}"
    if array.size == 0:
        head = ([f"size={tuple(array.shape)}"] if array.ndim != 1 else []) + \
            ([shown_dtype] if array.dtype != np.float32 else [])
        body = "[]"
    else:
        head = [] if array.dtype in DEFAULT_DTYPES else [shown_dtype]
        summarise = array.size > OPTIONS.threshold
        body = _body(array, indent, summarise, _Format((_summarised(array) if summarise else array).reshape(-1)))
    out = [body]
    last_line = len(body) - body.rfind("\n") + 1
    for suffix in head + suffixes:                      # on the last line while it fits, else on a new one
        if last_line + len(suffix) + 2 > OPTIONS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line += len(suffix) + 2
    return prefix + "".join(out) + ")"

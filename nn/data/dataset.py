"""Datasets: the map-style `Dataset` interface, `TensorDataset`, `Subset`, `ConcatDataset` and `random_split`.

Mirrors `torch.utils.data`: a dataset is anything with `__getitem__(i)` and `__len__()`; the
DataLoader (in dataloader.py) decides which indices to ask for and how to join the samples.
"""

from __future__ import annotations

import bisect
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd_lite as al


class Dataset:
    """A map-style dataset: sample `i` is `dataset[i]`, for `0 <= i < len(dataset)`. Subclasses define
    `__getitem__` and (for a DataLoader, which needs the size) `__len__`, as PyTorch's."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__ (a Dataset subclass)")


class TensorDataset(Dataset):
    """Samples are rows of tensors sharing their first dim: `dataset[i] == (t[i] for t in tensors)`.

    The DataLoader recognises this class and takes a whole batch with one `t[indices]` per tensor.
    """

    def __init__(self, *tensors: al.Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, al.Tensor):
                raise TypeError(f"TensorDataset: argument {i} must be a Tensor, got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; samples are taken along dim 0")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors: every tensor must have the same "
                             f"size in dim 0, got sizes {sizes} (shapes {[t.shape for t in tensors]})")
        self.tensors = tuple(tensors)

    def __getitem__(self, index: int) -> tuple[al.Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: `subset[i] == dataset[indices[i]]`."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other, as PyTorch's: sample i of the first, then of the second, ...;
    `cumulative_sizes[k]` is the number of samples in the first k + 1 datasets."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed dataset length")
            index += len(self)
        k = bisect.bisect_right(self.cumulative_sizes, index)       # the dataset holding sample `index`
        if k == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random subsets of the given lengths.

    `lengths` are either sample counts summing to `len(dataset)`, or fractions (floats) summing to 1,
    e.g. `[0.8, 0.2]`. Fractions are floored and the samples left over are handed out one at a
    time to the splits in order, as in PyTorch. The permutation comes from `generator`, or from
    autograd_lite's default generator (so `al.manual_seed` makes the split repeatable).
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"random_split: lengths must be ints or floats, got {x!r}")
    # PyTorch treats any lengths summing to 1 as fractions, so [0, 1] on a dataset of 10 silently
    # means [0, 10]. Here fractions are floats, counts are ints: a wrong count is an error instead.
    if any(not isinstance(x, numbers.Integral) for x in lengths):
        if any(not 0 <= x <= 1 for x in lengths) or not math.isclose(sum(lengths), 1.0):
            raise ValueError(f"random_split: fractions must lie in [0, 1] and sum to 1, got {lengths}")
        counts = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"random_split: split {i} is empty (fraction {lengths[i]} of {n} samples)",
                              stacklevel=2)
    else:
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts):
            raise ValueError(f"random_split: lengths must be non-negative, got {counts}")
        if sum(counts) != n:
            raise ValueError(f"random_split: lengths {counts} sum to {sum(counts)}, but the dataset has {n} samples")
    perm = al.randperm(n, generator=generator).tolist()
    splits, start = [], 0
    for c in counts:
        splits.append(Subset(dataset, perm[start:start + c]))
        start += c
    return splits

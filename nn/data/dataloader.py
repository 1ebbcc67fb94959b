"""The DataLoader: samplers choose the order of indices, BatchSampler groups them, collate joins samples.

Mirrors `torch.utils.data` for map-style datasets, in the main process only (no workers). Shuffling
is repeatable: a `numpy.random.Generator` passed as `generator=` fixes the order of every epoch, and
without one each epoch draws its seed from autograd_lite's default generator, so `al.manual_seed`
fixes it instead.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

import autograd_lite as al

from .dataset import Subset, TensorDataset


def _check_generator(generator: Any, where: str) -> None:
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}: generator must be a numpy.random.Generator or None, "
                        f"got {type(generator).__name__}")


def _positive_int(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


# ------------------------------------------------------------------------------------------ samplers
class Sampler:
    """Yields dataset indices; `len(sampler)` is how many."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random permutation of the indices each time it is iterated (each epoch).

    With `replacement=True`, `num_samples` indices drawn independently; without, `num_samples`
    (default: all) indices from successive permutations.
    """

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        _check_generator(generator, "RandomSampler")
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        if num_samples is not None:
            _positive_int(num_samples, "num_samples", "RandomSampler")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        # Read at each epoch, not fixed at construction, so a dataset that grows is sampled whole.
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        gen = self.generator
        if gen is None:
            # Like PyTorch: one draw from the default generator per epoch, whatever the dataset size,
            # so the random numbers the training loop draws afterwards do not depend on it.
            gen = np.random.default_rng(int(al.default_generator().integers(2**63)))
        return self._indices(n, k, gen)

    def _indices(self, n: int, k: int, gen: np.random.Generator) -> Iterator[int]:
        """The epoch's indices, drawn as the loop asks for them, a block at a time (as PyTorch's): with
        replacement and num_samples=10**10 no list of them is ever built."""
        if n == 0:
            return
        while k > 0:
            if self.replacement:
                block = al.randint(0, n, (min(k, 4096),), generator=gen).tolist()
            else:                        # successive permutations of all the indices
                block = al.randperm(n, generator=gen).tolist()[:k]
            yield from block
            k -= len(block)

    def __len__(self) -> int:
        return self.num_samples


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights` (with or without replacement),
    as PyTorch's: for unbalanced classes, weight each sample by one over its class's count."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: np.random.Generator | None = None) -> None:
        _check_generator(generator, "WeightedRandomSampler")
        _positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, got {replacement!r}")
        w = np.asarray(weights.array if isinstance(weights, al.Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given weights have "
                             f"shape {tuple(w.shape)}")
        self.weights = al.tensor(w)
        self.num_samples, self.replacement, self.generator = int(num_samples), replacement, generator

    def __iter__(self) -> Iterator[int]:
        drawn = al.multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size`; the last may be shorter unless
    `drop_last`."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise TypeError(f"BatchSampler: drop_last must be a bool, got {drop_last!r}")
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ------------------------------------------------------------------------------------------- collate
def _collate_numbers(batch: Sequence[Any]) -> al.Tensor:
    # The dtype follows all the samples, not the first: [1, 2.5] must not be truncated to int64.
    if all(isinstance(x, bool) for x in batch):
        return al.tensor(batch, dtype=al.bool_)
    if all(isinstance(x, int) and not isinstance(x, bool) for x in batch):
        return al.tensor(batch, dtype=al.int64)
    if all(isinstance(x, (int, float)) for x in batch):
        # PyTorch's dtypes: a batch whose first sample is a float is float64 (torch.tensor(batch,
        # dtype=torch.float64)); ints with a float among them give the default float32 (torch.tensor(batch)).
        return al.tensor(batch, dtype=al.float64 if isinstance(batch[0], float) else al.float32)
    raise TypeError(f"default_collate: cannot join numbers of types {sorted({type(x).__name__ for x in batch})}")


def default_collate(batch: Sequence[Any]) -> Any:
    """Join a list of samples into a batch, keeping the samples' structure.

    Tensors are stacked along a new first dim; NumPy arrays and NumPy scalars become stacked Tensors
    of their dtype; Python bools, ints and floats become bool, int64 and float64 Tensors (ints mixed
    with floats: float32), as PyTorch's; strings stay a list. Dicts, tuples and lists are joined field by
    field, into a dict, a list (for a tuple too, as PyTorch's) or a namedtuple.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: the batch is empty")
    elem = batch[0]
    if isinstance(elem, al.Tensor):
        return al.stack(list(batch))
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.kind in "OUSV":
            raise TypeError(f"default_collate: NumPy arrays of dtype {elem.dtype} cannot become a Tensor")
        shapes = {np.shape(x) for x in batch}
        if len(shapes) > 1:
            raise ValueError(f"default_collate: arrays in a batch must have the same shape, got {sorted(shapes)}")
        return al.from_numpy(np.stack(batch))  # np.stack made a fresh array: share it, no second copy
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, numbers.Number):
        return _collate_numbers(batch)
    if isinstance(elem, Mapping):
        keys = list(elem)
        for sample in batch:
            if not isinstance(sample, Mapping) or set(sample) != set(keys):
                raise ValueError(f"default_collate: every sample must be a mapping with keys {keys}, "
                                 f"got {list(sample) if isinstance(sample, Mapping) else type(sample).__name__}")
        return {key: default_collate([sample[key] for sample in batch]) for key in keys}
    if isinstance(elem, Sequence):
        lengths = {len(sample) for sample in batch}
        if len(lengths) > 1:
            raise ValueError(f"default_collate: each sequence in the batch must have the same length, "
                             f"got lengths {sorted(lengths)}")
        fields = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
            return type(elem)(*fields)
        return fields            # a list, for tuples too, as PyTorch's (`x, y = batch` unpacks either)
    raise TypeError(f"default_collate: samples must contain Tensors, NumPy arrays, numbers, strings, "
                    f"dicts, tuples or lists; found {type(elem).__name__}")


# ---------------------------------------------------------------------------------------- DataLoader
def _tensor_rows(dataset: Any) -> tuple[tuple[al.Tensor, ...], np.ndarray | None] | None:
    """If `dataset` is a TensorDataset, possibly inside Subsets (as random_split makes), its tensors and
    the row of them that each sample index maps to (None: the identity). Else None."""
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset.tensors, None
    if type(dataset).__getitem__ is Subset.__getitem__:
        inner = _tensor_rows(dataset.dataset)
        if inner is None:
            return None
        rows = np.asarray(dataset.indices, dtype=np.int64)
        return inner[0], (rows if inner[1] is None else inner[1][rows])
    return None


class DataLoader:
    """Iterates over a dataset in batches: `for x, y in DataLoader(TensorDataset(X, Y), 32, shuffle=True)`.

    The order comes from `sampler` (default: sequential, or RandomSampler when `shuffle`), grouped by
    a BatchSampler of `batch_size` and `drop_last` unless a `batch_sampler` is given; `collate_fn`
    (default `default_collate`) joins each batch's samples. Loading runs in the main process.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, *,
                 sampler: Iterable[int] | None = None, batch_sampler: Iterable[list[int]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False,
                 generator: np.random.Generator | None = None) -> None:
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: dataset must support indexing and len() (a map-style dataset), "
                            f"got {type(dataset).__name__}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if num_workers:
            # PyTorch code often asks for workers; the batches are the same when loaded here, only slower.
            warnings.warn(f"DataLoader: num_workers={num_workers} is not supported; batches are loaded in the "
                          f"main process", UserWarning, stacklevel=2)
        if pin_memory:
            warnings.warn("DataLoader: pin_memory=True has no effect: there is no accelerator (CPU only)",
                          UserWarning, stacklevel=2)
        if not isinstance(shuffle, bool):
            raise TypeError(f"DataLoader: shuffle must be a bool, got {shuffle!r}")
        if not isinstance(drop_last, bool):
            raise TypeError(f"DataLoader: drop_last must be a bool, got {drop_last!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        _check_generator(generator, "DataLoader")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, "
                                 "sampler and drop_last")
            batch_size = None
        else:
            if batch_size is None:
                raise ValueError("DataLoader: batch_size=None (unbatched loading) is not supported; use batch_size=1")
            batch_size = _positive_int(batch_size, "batch_size", "DataLoader")
            if sampler is not None and shuffle:
                raise ValueError("DataLoader: sampler is mutually exclusive with shuffle=True "
                                 "(shuffle inside the sampler instead)")
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = 0
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = generator

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator[Any]:
        rows = _tensor_rows(self.dataset) if self.collate_fn is default_collate else None
        for indices in self.batch_sampler:
            if rows is not None:
                # A TensorDataset batch is one fancy index per tensor, t[indices]: the same values and
                # dtypes as indexing each sample and stacking them, but one NumPy call instead of
                # batch_size Python-level getitems plus a stack, each recording autograd work.
                tensors, row_of = rows
                index = np.asarray(indices, dtype=np.int64)
                if row_of is not None:
                    index = row_of[index]
                yield [t[index] for t in tensors]            # a list, as default_collate gives
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

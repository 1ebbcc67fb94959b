"""nn.data: batching, shuffling and its repeatability, default_collate, TensorDataset, random_split, errors."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import autograd_lite as al
from nn.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def make_data(n: int = 10) -> tuple[al.Tensor, al.Tensor, TensorDataset]:
    X = al.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    y = al.arange(n)
    return X, y, TensorDataset(X, y)


def epoch_order(loader: DataLoader) -> list[int]:
    """The sample indices of one epoch, read off the label tensor (label i is sample i)."""
    return [int(i) for _, yb in loader for i in yb.tolist()]


class Squares(Dataset):
    """A dataset that is not a TensorDataset, with dict samples: exercises the collate path."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, i: int) -> dict:
        return {"x": float(i), "y": i * i, "tag": f"s{i}"}

    def __len__(self) -> int:
        return self.n


# ------------------------------------------------------------------------------------------- batching
@pytest.mark.parametrize("n,batch_size,drop_last,sizes", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (4, 10, False, [4]),
    (4, 10, True, []),
    (1, 1, False, [1]),
])
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes):
    X, y, ds = make_data(n)
    loader = DataLoader(ds, batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes)
    assert [xb.shape for xb, _ in batches] == [(s, 2) for s in sizes]
    assert [yb.shape for _, yb in batches] == [(s,) for s in sizes]
    if batches:  # sequential order: the batches are the data in order
        np.testing.assert_array_equal(np.concatenate([xb.array for xb, _ in batches]), X.array[:sum(sizes)])
        assert all(isinstance(b, list) and len(b) == 2 for b in batches)          # a list, as PyTorch's


def test_last_partial_batch_holds_the_remaining_samples():
    _, _, ds = make_data(7)
    *_, (xb, yb) = DataLoader(ds, batch_size=3)
    assert yb.tolist() == [6]
    np.testing.assert_array_equal(xb.array, [[12.0, 13.0]])


def test_collate_path_batches_dict_samples():
    batches = list(DataLoader(Squares(5), batch_size=2))
    assert len(batches) == 3
    assert batches[0]["x"].dtype == np.float64 and batches[0]["y"].dtype == np.int64
    assert batches[1]["y"].tolist() == [4, 9]
    assert batches[2]["tag"] == ["s4"]


# ------------------------------------------------------------------------------------------ shuffling
def test_shuffle_gives_a_permutation_that_is_not_the_identity():
    _, _, ds = make_data(50)
    order = epoch_order(DataLoader(ds, 8, shuffle=True, generator=np.random.default_rng(0)))
    assert sorted(order) == list(range(50))
    assert order != list(range(50))


def test_seeded_generator_repeats_and_epochs_differ():
    _, _, ds = make_data(30)
    a = DataLoader(ds, 4, shuffle=True, generator=np.random.default_rng(123))
    b = DataLoader(ds, 4, shuffle=True, generator=np.random.default_rng(123))
    a_epochs = [epoch_order(a) for _ in range(3)]
    b_epochs = [epoch_order(b) for _ in range(3)]
    assert a_epochs == b_epochs
    assert a_epochs[0] != a_epochs[1] != a_epochs[2]
    other = DataLoader(ds, 4, shuffle=True, generator=np.random.default_rng(124))
    assert epoch_order(other) != a_epochs[0]


def test_manual_seed_makes_shuffling_repeatable():
    _, _, ds = make_data(30)
    loader = DataLoader(ds, 4, shuffle=True)
    al.manual_seed(5)
    first = [epoch_order(loader) for _ in range(2)]
    al.manual_seed(5)
    again = [epoch_order(loader) for _ in range(2)]
    assert first == again
    assert first[0] != first[1]
    al.manual_seed(6)
    assert epoch_order(loader) != first[0]


def test_shuffling_draws_one_number_from_the_default_generator_per_epoch():
    # Whatever the dataset size, the random numbers drawn after an epoch starts are the same.
    after = []
    for n in (5, 500):
        _, _, ds = make_data(n)
        al.manual_seed(0)
        next(iter(DataLoader(ds, 2, shuffle=True)))
        after.append(al.randn(3).tolist())
    assert after[0] == after[1]


def test_random_sampler_with_replacement_and_num_samples():
    sampler = RandomSampler(range(4), replacement=True, num_samples=50, generator=np.random.default_rng(1))
    drawn = list(sampler)
    assert len(drawn) == len(sampler) == 50 and set(drawn) == {0, 1, 2, 3}
    long = list(RandomSampler(range(4), num_samples=10, generator=np.random.default_rng(1)))
    assert len(long) == 10 and sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]


def test_explicit_sampler_and_batch_sampler():
    _, _, ds = make_data(6)
    reverse = [5, 4, 3, 2, 1, 0]
    assert epoch_order(DataLoader(ds, 4, sampler=reverse)) == reverse
    batches = [[0, 5], [2], [1, 3, 4]]
    assert [yb.tolist() for _, yb in DataLoader(ds, batch_sampler=batches)] == batches
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3


# --------------------------------------------------------------------- TensorDataset fast path
def test_tensor_dataset_fast_path_matches_per_sample_collate():
    _, _, ds = make_data(23)
    mask = al.tensor(np.arange(23) % 3 == 0)
    ds = TensorDataset(*ds.tensors, mask)
    fast = DataLoader(ds, 5, shuffle=True, generator=np.random.default_rng(9))
    slow = DataLoader(ds, 5, shuffle=True, generator=np.random.default_rng(9), collate_fn=lambda b: default_collate(b))
    for fb, sb in zip(fast, slow, strict=True):
        assert len(fb) == len(sb) == 3
        for f, s in zip(fb, sb):
            assert f.dtype == s.dtype and f.shape == s.shape
            np.testing.assert_array_equal(f.array, s.array)


def test_tensor_dataset_batches_do_not_index_per_sample(monkeypatch):
    _, y, ds = make_data(10)

    def per_sample(self, index):
        raise AssertionError("the DataLoader indexed a TensorDataset sample by sample")

    monkeypatch.setattr(TensorDataset, "__getitem__", per_sample)
    train, val = random_split(ds, [7, 3], generator=np.random.default_rng(0))
    assert sorted(epoch_order(DataLoader(ds, 4, shuffle=True))) == list(range(10))
    # Subsets of a TensorDataset (what random_split makes) take the fast path too, in the Subset's order.
    assert epoch_order(DataLoader(val, 2)) == [int(i) for i in val.indices]
    assert epoch_order(DataLoader(Subset(train, [6, 0]), 2)) == [train.indices[6], train.indices[0]]


def test_tensor_dataset_subclass_that_overrides_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 2, y

    X, _, ds = make_data(4)
    (xb, _), = DataLoader(Doubled(*ds.tensors), 4)
    np.testing.assert_array_equal(xb.array, X.array * 2)


# ----------------------------------------------------------------------------------- default_collate
def test_default_collate_python_numbers_follow_pytorch_dtypes():
    # torch.utils.data.default_collate: int64, float64 (first sample a float), bool
    assert default_collate([1, 2]).dtype == np.int64
    floats = default_collate([1.5, 2])
    assert floats.dtype == np.float64 and floats.tolist() == [1.5, 2.0]
    assert default_collate([True, False]).dtype == np.bool_
    mixed = default_collate([1, 2.5])  # torch.tensor([1, 2.5]): the default float32, no truncation
    assert mixed.dtype == np.float32 and mixed.tolist() == [1.0, 2.5]


def test_default_collate_numpy_keeps_dtypes_and_stacks():
    out = default_collate([np.zeros((2, 3), np.float64), np.ones((2, 3), np.float64)])
    assert isinstance(out, al.Tensor) and out.shape == (2, 2, 3) and out.dtype == np.float64
    ints = default_collate([np.int32(3), np.int32(4)])
    assert ints.dtype == np.int32 and ints.tolist() == [3, 4]
    t = default_collate([al.tensor([1, 2]), al.tensor([3, 4])])
    assert t.dtype == np.int64 and t.tolist() == [[1, 2], [3, 4]]


def test_default_collate_recurses_into_nested_structures():
    Point = namedtuple("Point", "x y")
    samples = [{"img": al.ones(2) * i, "meta": (i, [float(i), "a"]), "pt": Point(i, np.float64(i))}
               for i in range(3)]
    out = default_collate(samples)
    assert set(out) == {"img", "meta", "pt"}
    assert out["img"].shape == (3, 2) and out["img"].dtype == np.float32
    assert isinstance(out["meta"], list) and isinstance(out["meta"][1], list)    # tuples too, as PyTorch's
    assert out["meta"][0].tolist() == [0, 1, 2] and out["meta"][0].dtype == np.int64
    assert out["meta"][1][0].dtype == np.float64 and out["meta"][1][1] == ["a", "a", "a"]
    assert isinstance(out["pt"], Point) and out["pt"].y.dtype == np.float64


@pytest.mark.parametrize("batch,error,match", [
    ([], ValueError, "empty"),
    ([None, None], TypeError, "NoneType"),
    ([np.zeros(2), np.zeros(3)], ValueError, "same shape"),
    ([al.zeros(2), al.zeros(3)], ValueError, "same shape"),
    ([(1, 2), (1,)], ValueError, "same length"),
    ([{"a": 1}, {"b": 1}], ValueError, "keys"),
    ([1 + 2j, 3j], TypeError, "complex"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "dtype"),
])
def test_default_collate_errors(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)


# --------------------------------------------------------------------------- datasets and their errors
def test_tensor_dataset_indexing_and_errors():
    X, y, ds = make_data(5)
    x2, y2 = ds[2]
    assert x2.tolist() == [4.0, 5.0] and y2.item() == 2 and len(ds) == 5
    with pytest.raises(ValueError, match=r"size mismatch.*\[3, 4\]"):
        TensorDataset(al.zeros(3, 2), al.zeros(4))
    with pytest.raises(TypeError, match="argument 1 must be a Tensor"):
        TensorDataset(al.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(al.tensor(1.0))


def test_dataset_subclasses_as_pytorchs():
    # PyTorch's Dataset is not abstract: a subclass defines __getitem__ (and __len__ for a DataLoader).
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]

    class OnlyGetitem(Dataset):
        def __getitem__(self, i):
            return i

    assert OnlyGetitem()[3] == 3
    with pytest.raises(TypeError, match="indexing and len"):
        DataLoader(OnlyGetitem(), 2)


def test_workers_and_pinned_memory_are_accepted_with_a_warning():
    _, _, ds = make_data(6)
    with pytest.warns(UserWarning, match="num_workers=2 is not supported; batches are loaded in the main"):
        loader = DataLoader(ds, 4, num_workers=2)
    with pytest.warns(UserWarning, match="pin_memory=True has no effect"):
        pinned = DataLoader(ds, 4, pin_memory=True)
    for a, b in zip(loader, DataLoader(ds, 4)):
        np.testing.assert_array_equal(a[0].array, b[0].array)
    assert len(list(pinned)) == 2


def test_random_split_counts_are_disjoint_and_cover():
    _, _, ds = make_data(10)
    parts = random_split(ds, [6, 3, 1], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [6, 3, 1]
    all_indices = [i for p in parts for i in p.indices]
    assert sorted(all_indices) == list(range(10))
    assert parts[1][0][1].item() == parts[1].indices[0]
    again = random_split(ds, [6, 3, 1], generator=np.random.default_rng(0))
    assert [p.indices for p in again] == [p.indices for p in parts]


@pytest.mark.parametrize("n,fractions,sizes", [
    (10, [0.8, 0.2], [8, 2]),
    (5, [0.5, 0.5], [3, 2]),            # the remainder goes to the first splits, as in PyTorch
    (10, [0.34, 0.33, 0.33], [4, 3, 3]),
    (7, [1.0], [7]),
])
def test_random_split_fractions(n, fractions, sizes):
    _, _, ds = make_data(n)
    parts = random_split(ds, fractions, generator=np.random.default_rng(1))
    assert [len(p) for p in parts] == sizes
    assert sorted(i for p in parts for i in p.indices) == list(range(n))


def test_random_split_uses_manual_seed_and_reports_bad_lengths():
    _, _, ds = make_data(10)
    al.manual_seed(3)
    a = [p.indices for p in random_split(ds, [5, 5])]
    al.manual_seed(3)
    assert a == [p.indices for p in random_split(ds, [5, 5])]
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.3])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [11, -1])
    with pytest.raises(ValueError, match="sum to 1"):  # ints are counts, never fractions
        random_split(ds, [0, 1])


# ------------------------------------------------------------------------------------ DataLoader errors
@pytest.mark.parametrize("kwargs,error,match", [
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"batch_size": -2}, ValueError, "batch_size must be a positive integer"),
    ({"batch_size": 2.5}, ValueError, "batch_size must be a positive integer"),
    ({"batch_size": True}, ValueError, "batch_size must be a positive integer"),
    ({"batch_size": None}, ValueError, "batch_size=None"),
    ({"num_workers": -1}, ValueError, "num_workers must be an int >= 0"),
    ({"shuffle": True, "sampler": [0, 1]}, ValueError, "mutually exclusive"),
    ({"batch_sampler": [[0]], "batch_size": 4}, ValueError, "mutually exclusive"),
    ({"shuffle": True, "generator": 0}, TypeError, "numpy.random.Generator"),
    ({"shuffle": 1}, TypeError, "shuffle must be a bool"),
    ({"drop_last": "yes"}, TypeError, "drop_last must be a bool"),
    ({"collate_fn": 3}, TypeError, "collate_fn must be callable"),
])
def test_dataloader_argument_errors(kwargs, error, match):
    _, _, ds = make_data(4)
    with pytest.raises(error, match=match):
        DataLoader(ds, **kwargs)


def test_dataloader_rejects_non_datasets():
    with pytest.raises(TypeError, match="map-style"):
        DataLoader(iter([1, 2, 3]))


def test_generated_sets_shapes_labels_and_seeds() -> None:
    from nn.data import make_moons, make_spirals

    x, y = make_spirals(50, 4, seed=3)
    assert x.shape == (200, 2) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50] * 4)
    assert np.abs(x).max() <= 1.0 + 1e-6                    # radius grows from 0 to 1
    x2, _ = make_spirals(50, 4, seed=3)
    np.testing.assert_array_equal(x, x2)
    xm, ym = make_moons(101, noise=0.0, seed=0)
    assert xm.shape == (101, 2) and set(ym.tolist()) == {0, 1}
    np.testing.assert_allclose(np.hypot(*xm[ym == 0].T), 1.0, rtol=1e-6)    # the outer half circle


def test_batches_are_lists_as_pytorchs():
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    ours = next(iter(DataLoader(TensorDataset(al.zeros(4, 2), al.zeros(4)), batch_size=2)))
    theirs = next(iter(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(4, 2), torch.zeros(4)),
                                                   batch_size=2)))
    assert type(ours) is type(theirs) is list
    samples = [(1, 2.0), (3, 4.0)]
    assert type(default_collate(samples)) is type(torch.utils.data.default_collate(samples)) is list

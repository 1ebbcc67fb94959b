"""nn.serialization: exact round trips of state dicts, the safetensors layout, atomic writes, clear errors."""

from __future__ import annotations

import json
import math
import os
import pathlib
import pickle
import struct
import sys

import numpy as np
import pytest
import safetensors.numpy

import autograd_lite as al
from nn.parameter import Parameter
from nn.serialization import CheckpointError, load, save


def assert_same(a, b, where="obj"):
    """Equal values and equal types all the way down: dict key types, tuple vs list, Tensor vs ndarray,
    dtypes, shapes, and every bit of every float (NaN payloads included)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b], f"{where}: keys differ"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, (al.Tensor, np.ndarray, np.generic)):
        x, y = (a.data, b.data) if isinstance(a, al.Tensor) else (np.asarray(a), np.asarray(b))
        assert x.dtype == y.dtype and x.shape == y.shape, f"{where}: {x.dtype}{x.shape} != {y.dtype}{y.shape}"
        assert x.tobytes() == y.tobytes(), f"{where}: values differ"
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b), f"{where}: {a!r} != {b!r} bitwise"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def roundtrip(obj, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save(obj, path)
    return load(path)


def random_state_dict(rng):
    return {
        "fc1.weight": al.tensor(rng.standard_normal((4, 3)).astype(np.float32)),
        "fc1.bias": al.tensor(rng.standard_normal(4).astype(np.float32)),
        "bn.running_var": al.tensor(rng.random(4)),                      # float64
        "bn.num_batches_tracked": al.tensor(7),                          # 0-d int64
        "mask": al.tensor(rng.random((2, 2)) > 0.5),                     # bool
    }


# --------------------------------------------------------------------------------------- round trips
def test_flat_state_dict_round_trips_exactly(tmp_path, rng):
    sd = random_state_dict(rng)
    out = roundtrip(sd, tmp_path)
    assert_same(sd, out)
    assert out["bn.num_batches_tracked"].shape == () and out["mask"].dtype == np.bool_


def test_flat_file_uses_the_state_dict_keys_as_tensor_names(tmp_path, rng):
    sd = random_state_dict(rng)
    path = tmp_path / "model.safetensors"
    save(sd, path)
    raw = safetensors.numpy.load_file(path)
    assert set(raw) == set(sd)
    for k, t in sd.items():
        assert raw[k].dtype == t.dtype and raw[k].shape == t.shape
        np.testing.assert_array_equal(raw[k], t.data)


def test_optimizer_like_nested_state_round_trips_exactly(tmp_path, rng):
    sd = {
        "state": {0: {"step": al.tensor(3.0), "exp_avg": al.tensor(rng.standard_normal((4, 3)).astype(np.float32)),
                      "exp_avg_sq": al.zeros(4, 3)},
                  1: {"step": al.tensor(3.0), "momentum_buffer": None}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                          "params": [0, 1], "name": "body"}],
    }
    assert_same(sd, roundtrip(sd, tmp_path))


def test_scheduler_like_plain_values_round_trip(tmp_path):
    sd = {"last_epoch": 12, "base_lrs": [0.1, 0.01], "_step_count": 13, "verbose": False,
          "milestones": {30: 1, 80: 1}, "gamma": 0.1, "mode": "min", "best": math.inf, "big": 2**100}
    assert_same(sd, roundtrip(sd, tmp_path))


def test_floats_round_trip_bit_for_bit(tmp_path):
    nan_with_payload = struct.unpack("<d", struct.pack("<Q", 0xFFF8_0000_DEAD_BEEF))[0]
    floats = [0.1, 1 / 3, -0.0, 0.0, 5e-324, sys.float_info.max, -1e-310, 1e16, 2.5,
              math.nan, -math.nan, nan_with_payload, math.inf, -math.inf]
    out = roundtrip({"floats": floats, "tuple": tuple(floats)}, tmp_path)
    assert_same({"floats": floats, "tuple": tuple(floats)}, out)
    assert isinstance(out["floats"][-1], float) and out["floats"][-1] == -math.inf


def test_tensor_values_round_trip_bit_for_bit_including_nan_and_inf(tmp_path):
    special = np.array([np.nan, -np.inf, np.inf, -0.0, np.finfo(np.float32).tiny, 1e-45], dtype=np.float32)
    sd = {"t": al.tensor(special), "a": special.astype(np.float64), "h": special.astype(np.float16)}
    assert_same(sd, roundtrip(sd, tmp_path))


def test_int_and_string_keys_and_awkward_names_stay_distinct(tmp_path):
    a, b, c = al.ones(1), al.zeros(1), al.full((1,), 2.0)
    sd = {0: a, "0": b, "[0]": c, "": al.ones(2), "__metadata__": al.zeros(2), "a.b": a * 3,
          "a": {"b": b * 5}, "nested": {0: [a, (b, {"k": c})], "0": np.arange(2)}}
    path = tmp_path / "k.safetensors"
    save(sd, path)
    assert_same(sd, load(path))
    names = set(safetensors.numpy.load_file(path))
    # Top-level string keys are used as they are, unless they could be mistaken for a JSON path (or
    # are empty, or safetensors' reserved "__metadata__"); everything else is named by its JSON path.
    assert names == {"[0]", "0", '["[0]"]', '[""]', '["__metadata__"]', "a.b", '["a","b"]',
                     '["nested",0,0]', '["nested",0,1,0]', '["nested",0,1,1,"k"]', '["nested","0"]'}


@pytest.mark.parametrize("obj", [
    al.tensor([[1, 2], [3, 4]]),
    [al.ones(2), np.arange(3, dtype=np.int32), "x", None],
    (),
    {},
    {"only": "plain", "values": [1, 2.5, True, None]},
    np.array(7, dtype=np.uint8),
])
def test_any_supported_top_level_object(tmp_path, obj):
    assert_same(obj, roundtrip(obj, tmp_path))


def test_numpy_scalars_arrays_and_parameters(tmp_path):
    view = np.arange(24.0).reshape(4, 6)[::2, 1::2]   # not contiguous: must be saved by value, not memory
    sd = {"s32": np.float32(1.5), "s64": np.float64(0.1), "b": np.bool_(True), "view": view,
          "p": Parameter(al.tensor([1.0, 2.0]))}
    out = roundtrip(sd, tmp_path)
    assert_same({**sd, "view": view.copy(), "p": al.tensor([1.0, 2.0])}, out)
    assert type(out["p"]) is al.Tensor and not out["p"].requires_grad


def test_loaded_tensors_are_writable(tmp_path):
    out = roundtrip({"w": al.zeros(3), "a": np.zeros(3)}, tmp_path)
    out["w"].data += 1          # optimizers and load_state_dict update state in place
    out["a"][0] = 5
    assert out["w"].tolist() == [1.0, 1.0, 1.0] and out["a"][0] == 5


def test_str_and_pathlike_paths(tmp_path):
    save({"x": al.ones(2)}, str(tmp_path / "s.safetensors"))
    save({"x": al.ones(2)}, pathlib.Path(tmp_path / "p.safetensors"))
    assert load(pathlib.Path(tmp_path / "s.safetensors"))["x"].tolist() == [1.0, 1.0]
    assert load(str(tmp_path / "p.safetensors"))["x"].tolist() == [1.0, 1.0]


# ------------------------------------------------------------------------------------- save errors
@pytest.mark.parametrize("obj,error,match", [
    ({"w": al.ones(1), "fn": print}, TypeError, r"obj\['fn'\] is a builtin_function_or_method"),
    ({"a": {1.5: 0}}, TypeError, "keys must be str or int"),
    ({True: 0}, TypeError, "keys must be str or int"),
    ({"c": np.zeros(2, np.complex128)}, TypeError, "complex128"),
    ({"o": np.array([object()])}, TypeError, "dtype object"),
    ({"s": {1, 2}}, TypeError, "set"),
    ({"b": b"bytes"}, TypeError, "bytes"),
])
def test_save_rejects_what_it_cannot_store_exactly(tmp_path, obj, error, match):
    with pytest.raises(error, match=match):
        save(obj, tmp_path / "bad.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_rejects_a_self_containing_object(tmp_path):
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save({"l": loop}, tmp_path / "bad.safetensors")
    shared = [1]   # the same object twice, without a cycle, is fine
    assert_same({"a": [1], "b": [1]}, roundtrip({"a": shared, "b": shared}, tmp_path))


# ------------------------------------------------------------------------------------- atomic write
def test_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"w": al.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        save({"w": al.zeros(3), "bad": object()}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_crash_after_writing_the_temp_file_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    save({"w": al.ones(3)}, path)
    before = path.read_bytes()
    written = []

    def failing_fsync(fd):
        written.append(os.fstat(fd).st_size)   # the new bytes are in the temp file by now
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk on fire"):
        save({"w": al.zeros(1000)}, path)
    monkeypatch.undo()
    assert written and written[0] > len(before)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.safetensors"]
    assert_same({"w": al.ones(3)}, load(path))


def test_save_replaces_an_existing_file_with_normal_permissions(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"w": al.ones(3)}, path)
    save({"w": al.zeros(2)}, path)
    assert_same({"w": al.zeros(2)}, load(path))
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# ------------------------------------------------------------------------------------- load errors
def test_truncated_files_give_clear_errors(tmp_path, rng):
    path = tmp_path / "ckpt.safetensors"
    save(random_state_dict(rng), path)
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    for cut, match in [(0, "only 0 bytes"), (5, "only 5 bytes"), (8 + header_len // 2, "truncated"),
                       (len(data) - 1, "truncated")]:
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=match):
            load(path)


def test_files_that_are_not_safetensors_give_clear_errors(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_text("hello, this is a text file and not a checkpoint\n")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load(path)
    path.write_bytes(struct.pack("<Q", 4) + b"{{{{")
    with pytest.raises(CheckpointError, match="not JSON"):
        load(path)
    path.write_bytes(struct.pack("<Q", 2) + b"[]")
    with pytest.raises(CheckpointError, match="not a JSON object"):
        load(path)


def test_a_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": Evil()}))
    with pytest.raises(CheckpointError):
        load(path)
    assert not marker.exists()


def test_a_plain_safetensors_file_loads_as_a_flat_dict_of_tensors(tmp_path):
    # As written by another tool (PyTorch's safetensors.torch.save_file writes the same layout).
    weights = {"layer.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "layer.bias": np.zeros(2, np.float16),
               "steps": np.array(4, dtype=np.int64)}
    for metadata in (None, {"format": "pt"}):
        path = tmp_path / "foreign.safetensors"
        safetensors.numpy.save_file(weights, path, metadata=metadata)
        out = load(path)
        assert set(out) == set(weights)
        for k, v in weights.items():
            assert isinstance(out[k], al.Tensor)
            assert_same(al.tensor(v), out[k])


def write_raw(path, header: dict, payload: bytes = b"") -> None:
    blob = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + payload)


def test_a_dtype_numpy_lacks_is_named(tmp_path):
    path = tmp_path / "bf16.safetensors"
    write_raw(path, {"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4)
    with pytest.raises(CheckpointError, match="'w'.*BF16"):
        load(path)


@pytest.mark.parametrize("ours,match", [
    ("not json", "metadata is not valid"),
    (json.dumps({"version": 99, "object": None}), "version 99"),
    (json.dumps({"version": 1, "object": {"tensor": "missing"}}), "'missing'"),
    (json.dumps({"version": 1, "object": {"weird": 1}}), "unexpected entry"),
    (json.dumps({"version": 1, "object": {"dict": 5}}), "malformed"),
])
def test_corrupt_metadata_gives_clear_errors(tmp_path, ours, match):
    path = tmp_path / "c.safetensors"
    safetensors.numpy.save_file({"w": np.zeros(2, np.float32)}, path, metadata={"autograd_lite": ours})
    with pytest.raises(CheckpointError, match=match):
        load(path)

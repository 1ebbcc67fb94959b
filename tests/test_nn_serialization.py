"""nn.serialization: exact round trips of state dicts, the safetensors layout, atomic writes, clear errors."""

from __future__ import annotations

import json
import math
import os
import pathlib
import pickle
import random
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import types
import zlib

import numpy as np
import pytest
import safetensors.numpy

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

import autograd_lite as al
import nn
from nn import serialization
from nn.parameter import Parameter
from nn.serialization import CheckpointError, load, save

ROOT = pathlib.Path(__file__).resolve().parents[1]


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
        x, y = (a.array, b.array) if isinstance(a, al.Tensor) else (np.asarray(a), np.asarray(b))
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


def write_blob(path, blob: bytes, payload: bytes = b"") -> None:
    """A safetensors file with `blob` as its header."""
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + payload)


def write_raw(path, header: dict, payload: bytes = b"") -> None:
    write_blob(path, json.dumps(header).encode(), payload)


def temp_files(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


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
        np.testing.assert_array_equal(raw[k], t.array)


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
    out["w"].array += 1          # optimizers and load_state_dict update state in place
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
    with pytest.raises(CheckpointError, match="header is not valid JSON"):
        load(path)
    path.write_bytes(struct.pack("<Q", 2) + b"[]")
    with pytest.raises(CheckpointError, match="header is a JSON list, not an object"):
        load(path)
    # An int longer than Python's 4300-digit limit makes json.loads raise a plain ValueError.
    write_blob(path, b'{"x":' + b"1" * 5000 + b"}")
    with pytest.raises(CheckpointError, match="header is not valid JSON.*4300"):
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
    (json.dumps([1]), "metadata is not valid"),
    (json.dumps({"version": 2, "object": {"tensor": "w"}}), "has crc32 None, not an object"),
    (json.dumps({"version": 2, "object": {"tensor": "w"}, "crc32": {"v": 0}}), r"no CRC-32 for \['w'\].*\['v'\]"),
])
def test_corrupt_metadata_gives_clear_errors(tmp_path, ours, match):
    path = tmp_path / "c.safetensors"
    safetensors.numpy.save_file({"w": np.zeros(2, np.float32)}, path, metadata={"autograd_lite": ours})
    with pytest.raises(CheckpointError, match=match):
        load(path)


# ------------------------------------------------------------------------------------------ hostile files
def test_directories_and_devices_are_refused_by_kind(tmp_path):
    with pytest.raises(CheckpointError, match=rf"load: {re.escape(str(tmp_path))} is a directory; a checkpoint "
                                              rf"is a regular file"):
        load(tmp_path)
    if os.path.exists("/dev/zero"):  # once read until memory ran out (3.7 GB)
        with pytest.raises(CheckpointError, match="load: /dev/zero is a character device"):
            load("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "ckpt.safetensors"
    os.mkfifo(fifo)

    def unblock():  # should load block in open(), waiting for a writer, fail the test instead of hanging it
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # no reader waiting

    timer = threading.Timer(2, unblock)
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(CheckpointError, match=rf"load: {re.escape(str(fifo))} is a FIFO \(named pipe\)"):
            load(fifo)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 1


def test_the_header_length_is_checked_before_the_header_is_read(tmp_path):
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:  # 30 MB, sparse: a 20 MB header of zeros
        f.write(struct.pack("<Q", 20_000_000))
        f.truncate(30_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="has a header of 20000000 bytes; a checkpoint's is at most 16 MB"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


@pytest.mark.parametrize("where", ["header", "metadata"])
def test_deep_nesting_is_a_checkpoint_error_not_a_recursion_error(tmp_path, where):
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.safetensors"
    if where == "header":
        write_blob(path, ('{"x":' + deep + "}").encode())
    else:
        safetensors.numpy.save_file({}, path, metadata={"autograd_lite": '{"version":2,"object":' + deep + "}"})
    with pytest.raises(CheckpointError, match=f"its {'header' if where == 'header' else '.*metadata'} nests "
                                              f"100001 levels deep; a checkpoint's nests at most 302"):
        load(path)


def test_save_and_load_agree_on_the_nesting_limit(tmp_path):
    obj = {"leaf": al.ones(1), "inf": math.inf}
    for _ in range(99):
        obj = {"k": obj}
    assert_same(obj, roundtrip(obj, tmp_path))  # 100 dicts nested: the deepest a checkpoint holds
    with safetensors.safe_open(tmp_path / "ckpt.safetensors", "np") as f:
        assert serialization._nesting(f.metadata()["autograd_lite"].encode()) == 302  # as deep as load allows
    with pytest.raises(ValueError, match=r"save: obj\[0\]\['k'\].*is a dict nested in 100 others; a checkpoint "
                                         r"nests at most 100"):
        save([obj], tmp_path / "deeper.safetensors")
    path = tmp_path / "303.safetensors"  # one JSON level more than 100 nested dicts can take
    safetensors.numpy.save_file({}, path, metadata={
        "autograd_lite": '{"version":2,"crc32":{},"object":' + "[" * 302 + "]" * 302 + "}"})
    with pytest.raises(CheckpointError, match="nests 303 levels deep"):
        load(path)


def test_brackets_quotes_and_backslashes_in_strings_do_not_count_as_nesting(tmp_path):
    sd = {'x"[{' * 400: al.ones(1), "y\\": {"[[\\\"[[" * 400: al.zeros(1), "z": ["]" * 400, "\\" * 3]}}
    assert_same(sd, roundtrip(sd, tmp_path))


F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("header,data_size,match", [
    ({"w": [1, 2]}, 0, r"the entry of tensor 'w' is \[1, 2\], not an object"),
    ({"w": {**F32x2, "dtype": ["F32"]}}, 8, r"has tensor 'w' of dtype \['F32'\]; readable dtypes are those NumPy "
                                            r"has: BOOL, F16, F32"),
    ({"w": {**F32x2, "dtype": "F33"}}, 8, r"has tensor 'w' of dtype 'F33'"),
    ({"w": {**F32x2, "shape": [-2]}}, 8, r"tensor 'w' has shape \[-2\], not a list of sizes >= 0"),
    ({"w": {**F32x2, "shape": [True, 2]}}, 8, r"tensor 'w' has shape \[True, 2\]"),
    ({"w": {**F32x2, "shape": "2"}}, 8, r"tensor 'w' has shape '2'"),
    ({"w": {**F32x2, "data_offsets": [0]}}, 8, r"tensor 'w' has data_offsets \[0\], not \[begin, end\]"),
    ({"w": {**F32x2, "data_offsets": [8, 0]}}, 8, r"tensor 'w' has data_offsets \[8, 0\], not"),
    ({"w": {**F32x2, "data_offsets": [0, 12]}}, 12, r"'w' \(F32, shape \[2\]\) needs 8 bytes, but .* span 12"),
    ({"w": {**F32x2, "data_offsets": [0, 16]}}, 8, r"is truncated: tensor 'w' ends at byte 16 of the data, which "
                                                   r"has 8 bytes"),
    ({"a": F32x2, "b": {**F32x2, "data_offsets": [4, 12]}}, 12, r"'b' starts at byte 4 .* end at byte 8 \(overlap"),
    ({"a": F32x2, "b": {**F32x2, "data_offsets": [12, 20]}}, 20, r"'b' starts at byte 12 .* end at byte 8 \(gap"),
    ({"a": F32x2}, 12, r"its tensors end at byte 8 of the data, but the file holds 12 bytes of data"),
    ({"a": F32x2, "__metadata__": {"format": 1}}, 8, r"its __metadata__ is \{'format': 1\}, not an object of "
                                                     r"strings"),
    ({"w": {**F32x2, "shape": [1] * 65, "data_offsets": [0, 4]}}, 4,
     r"tensor 'w' of shape \[1, 1, 1, 1, 1, 1, \.\.\.\], which NumPy cannot hold \(maximum supported"),
    # A 240000-digit product, the message cut short.
    ({"w": {**F32x2, "shape": [10**4000] * 60}}, 8, r"needs more than the 8 bytes of data, but its data_offsets"),
    ({"x" * 1_000_000: [1]}, 0, r"the entry of tensor 'xxxxx*\.\.\.xxxxx*' is \[1\], not an object"),
])
def test_every_tensor_entry_is_checked_before_anything_is_read(tmp_path, header, data_size, match):
    path = tmp_path / "bad.safetensors"
    write_raw(path, header, b"\0" * data_size)
    with pytest.raises(CheckpointError, match=rf"load: .*bad\.safetensors .*{match}") as error:
        load(path)
    assert len(str(error.value)) < len(str(path)) + 400


def test_empty_tensors_may_share_an_offset(tmp_path):
    path = tmp_path / "empty.safetensors"
    write_raw(path, {"e0": {"dtype": "F64", "shape": [0, 3], "data_offsets": [0, 0]},
                     "w": {"dtype": "I16", "shape": [], "data_offsets": [0, 2]},
                     "e2": {"dtype": "U8", "shape": [2, 0], "data_offsets": [2, 2]},
                     "e1": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}, b"\x05\x01")
    out = load(path)
    assert list(out) == ["e0", "w", "e2", "e1"] and out["w"].item() == 261
    assert out["e0"].shape == (0, 3) and out["e2"].shape == (2, 0) and out["e1"].dtype == np.float32


def test_load_reads_each_tensor_once_into_its_own_writable_array(tmp_path):
    sd = {f"w{i}": al.tensor(np.full(500_000, i, np.float32)) for i in range(4)}  # 8 MB
    path = tmp_path / "ckpt.safetensors"
    save(sd, path)
    tracemalloc.start()
    try:
        out = load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.05 * path.stat().st_size  # once the whole file as bytes, then the arrays: over 2x
    assert_same(sd, out)
    for t in out.values():
        owner = t.array
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        # Its own memory: not a view of the file, of an mmap, or of another tensor's buffer.
        assert owner.base is None and owner.flags.owndata and t.array.flags.writeable


# ----------------------------------------------------------------------------------------------- checksums
def test_a_flipped_byte_in_a_tensor_is_an_error_naming_it(tmp_path, rng):
    sd = random_state_dict(rng)
    path = tmp_path / "ckpt.safetensors"
    save(sd, path)
    data = bytearray(path.read_bytes())
    (n,) = struct.unpack("<Q", data[:8])
    begin, end = json.loads(data[8:8 + n])["fc1.bias"]["data_offsets"]
    data[8 + n + (begin + end) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"load: .* is corrupt: the bytes of tensor 'fc1.bias' do not match "
                                              r"the CRC-32 saved with them"):
        load(path)


def test_version_1_files_without_checksums_still_load(tmp_path):
    path = tmp_path / "v1.safetensors"  # as the first version of this module wrote them
    tensors = {"w": np.arange(3, dtype=np.float32), '["opt",0]': np.array(2, np.int64)}
    ours = {"version": 1, "object": {"dict": [["w", {"tensor": "w"}], ["opt", {"list": [{"scalar": '["opt",0]'},
                                                                                       0.5]}]]}}
    safetensors.numpy.save_file(tensors, path, metadata={"format": "pt", "autograd_lite": json.dumps(ours)})
    assert_same({"w": al.tensor(tensors["w"]), "opt": [np.int64(2), 0.5]}, load(path))


def test_the_checksums_are_in_string_metadata_that_safetensors_reads(tmp_path, rng):
    sd = random_state_dict(rng)
    path = tmp_path / "model.safetensors"
    save(sd, path)
    with safetensors.safe_open(path, "np") as f:  # as safetensors.torch.load_file opens it, with framework="pt"
        assert sorted(f.keys()) == sorted(sd)
        metadata = f.metadata()
    assert set(metadata) == {"format", "autograd_lite"} and metadata["format"] == "pt"
    ours = json.loads(metadata["autograd_lite"])
    assert ours["version"] == 2 and ours["crc32"] == {k: zlib.crc32(t.array.tobytes()) for k, t in sd.items()}


def test_big_endian_arrays_are_stored_little_endian_with_a_matching_checksum(tmp_path):
    big = np.arange(5, dtype=">f4")
    out = roundtrip({"a": big, "t": al.tensor(big)}, tmp_path)
    assert out["a"].dtype == np.float32 and out["a"].tolist() == big.tolist() == out["t"].tolist()


# -------------------------------------------------------------------------------------- where a save writes
@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_save_keeps_an_existing_files_permissions(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    for mode in (0o600, 0o640):  # 640 survives even a umask of 022
        save({"w": al.ones(3)}, path)
        os.chmod(path, mode)
        save({"w": al.zeros(3)}, path)
        assert path.stat().st_mode & 0o777 == mode
        path.unlink()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_save_through_a_symlink_replaces_its_target(tmp_path, monkeypatch):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "real.safetensors"
    save({"w": al.ones(3)}, target)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(os.path.join("store", "real.safetensors"))
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (replaced.append((src, dst)), real_replace(src, dst)))
    save({"w": al.zeros(2)}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("store", "real.safetensors")
    assert_same({"w": al.zeros(2)}, load(target))
    # The temp file was beside the target, so the rename never crosses file systems.
    [(src, dst)] = replaced
    assert os.path.dirname(src) == str(tmp_path / "store") and dst == str(target.resolve())
    assert sorted(os.listdir(tmp_path)) == ["latest.safetensors", "store"] and temp_files(tmp_path / "store") == []
    dangling = tmp_path / "next.safetensors"  # a link to a file not there yet: the save creates it
    dangling.symlink_to(os.path.join("store", "next.safetensors"))
    save({"w": al.ones(1)}, dangling)
    assert dangling.is_symlink() and (tmp_path / "store" / "next.safetensors").is_file()


# --------------------------------------------------------------------------------------- stale temp files
def stale_name(base: str = "ckpt.safetensors") -> str:
    return f".{base}.{os.urandom(8).hex()}.tmp"


@pytest.mark.skipif(fcntl is None, reason="no flock")
def test_the_next_save_removes_stale_temp_files_but_not_a_live_saves(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    stale, live, other = stale_name(), stale_name(), stale_name("other.safetensors")
    for name in (stale, live, other, ".ckpt.safetensors.notours.tmp"):
        (tmp_path / name).write_bytes(b"partial checkpoint")
    with open(tmp_path / live, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a save in another process holds its temp file
        save({"w": al.ones(3)}, path)
        assert temp_files(tmp_path) == sorted([live, other, ".ckpt.safetensors.notours.tmp"])
    save({"w": al.ones(3)}, path)  # the other save is gone without renaming its temp file
    assert temp_files(tmp_path) == sorted([other, ".ckpt.safetensors.notours.tmp"])


@pytest.mark.skipif(fcntl is None, reason="no flock")
def test_a_save_whose_temp_file_is_taken_for_stale_before_it_is_locked_makes_another(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    locks = []

    def flock(fd, operation):
        if operation == fcntl.LOCK_EX:  # the save locking its new temp file
            locks.append(fd)
            if len(locks) == 1:  # another save's cleanup runs between the save's os.open and this flock
                serialization._remove_stale_temp_files(str(tmp_path), "ckpt.safetensors")
        fcntl.flock(fd, operation)

    monkeypatch.setattr(serialization, "fcntl", types.SimpleNamespace(flock=flock, LOCK_EX=fcntl.LOCK_EX,
                                                                      LOCK_NB=fcntl.LOCK_NB))
    save({"w": al.ones(3)}, path)
    assert len(locks) == 2  # the first temp file was removed, so the save made a second one
    assert_same({"w": al.ones(3)}, load(path)) and os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_without_flock_stale_temp_files_are_removed_by_age(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "fcntl", None)
    old, recent = stale_name(), stale_name()
    for name in (old, recent):
        (tmp_path / name).write_bytes(b"partial checkpoint")
    os.utime(tmp_path / old, (time.time() - 7200, time.time() - 7200))
    save({"w": al.ones(3)}, tmp_path / "ckpt.safetensors")
    assert temp_files(tmp_path) == [recent]


SAVING_CHILD = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from nn.serialization import save
path, mode = sys.argv[2], sys.argv[3]
if mode == "stall":  # stop for good once the new bytes are in the temp file, just before the rename
    os.fsync = lambda fd: (print("written", flush=True), time.sleep(60))
else:
    print("saving", flush=True)
while True:
    save({"w": np.full(1_000_000, 1.0, np.float32)}, path)
    save({"w": np.full(1_000_000, 2.0, np.float32)}, path)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_kill_9_mid_save_leaves_the_old_or_the_new_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    rng = random.Random(0)
    for trial in range(5):
        save({"w": np.full(1_000_000, 0.0, np.float32)}, path)
        child = subprocess.Popen([sys.executable, "-c", SAVING_CHILD, str(ROOT), str(path),
                                  "stall" if trial == 0 else "loop"], stdout=subprocess.PIPE)
        child.stdout.readline()
        if trial > 0:
            time.sleep(rng.uniform(0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        # The old file or one of the new ones, never a mix: load checks every byte against the CRC-32s.
        w = load(path)["w"]
        assert w.shape == (1_000_000,) and w[0] in (0.0, 1.0, 2.0) and (w == w[0]).all()
        if trial == 0:
            assert len(temp_files(tmp_path)) == 1  # killed with its temp file written, not renamed
        save({"w": np.full(1_000_000, 0.0, np.float32)}, path)
        assert os.listdir(tmp_path) == ["ckpt.safetensors"]


# ---------------------------------------------------------------- torch.save / torch.load's forms


def test_save_and_load_through_file_objects_as_torch_does(tmp_path):
    import io

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = nn.optim.Adam(model.parameters())
    model(al.randn(5, 3)).sum().backward()
    opt.step()
    buffer = io.BytesIO(b"xyz")
    buffer.seek(3)                                   # written and read at the position, as torch.save/load
    nn.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}, buffer)
    buffer.seek(3)
    back = nn.load(buffer, map_location="cpu", weights_only=True)
    assert back["epoch"] == 3 and list(back["model"]) == list(model.state_dict())
    for k, t in model.state_dict().items():
        np.testing.assert_array_equal(back["model"][k].array, t.array)
    with open(tmp_path / "ckpt.pt", "wb") as f:
        nn.save(model.state_dict(), f)
    with open(tmp_path / "ckpt.pt", "rb") as f:
        again = nn.load(f, map_location=al.device("cpu"))
    assert list(again) == list(model.state_dict())
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(again)
    x = al.randn(2, 3)
    np.testing.assert_array_equal(fresh(x).array, model(x).array)


def test_saving_a_whole_module_is_refused_with_the_way_to_do_it(tmp_path):
    model = nn.Linear(2, 2)
    for obj in (model, nn.optim.SGD(model.parameters(), lr=0.1)):
        with pytest.raises(TypeError, match=r"whole (Linear|SGD) object.*Save its state_dict: save\(obj.state_dict"):
            nn.save(obj, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_load_refuses_other_devices_unseekable_streams_and_pytorch_pickles(tmp_path):
    nn.save({"w": al.ones(2)}, tmp_path / "w.st")
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.load(tmp_path / "w.st", map_location="cuda")

    class Stream:
        def read(self, n=-1):
            return b""

        def seekable(self):
            return False

    with pytest.raises(CheckpointError, match="not seekable"):
        nn.load(Stream())
    (tmp_path / "zip.pt").write_bytes(b"PK\x03\x04" + bytes(60))
    (tmp_path / "pickle.pt").write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))
    for name in ("zip.pt", "pickle.pt"):
        with pytest.raises(CheckpointError, match="is a PyTorch pickle .*safetensors.torch.save_file"):
            nn.load(tmp_path / name)


def test_a_real_torch_save_file_gets_the_pickle_explanation(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    torch.save({"w": torch.ones(2)}, tmp_path / "real.pt")
    with pytest.raises(CheckpointError, match="is a PyTorch pickle"):
        nn.load(tmp_path / "real.pt")

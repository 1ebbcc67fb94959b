"""Checkpoints: `save` and `load` state dicts (nested dicts and lists of tensors, arrays and plain values)
as safetensors files, never with pickle.

File format (a standard safetensors file, so other tools can read it):
  - Every Tensor and NumPy array is a safetensors tensor. A tensor under a string key of the top-level
    dict is named by that key itself, so `save(model.state_dict(), path)` writes exactly the names
    PyTorch expects (`safetensors.torch.load_file(path)` feeds `load_state_dict`). Every other tensor
    is named by its path as compact JSON, e.g. `["state",0,"exp_avg"]`; top-level keys that start with
    "[" (or are "" or "__metadata__") are named that way too, so names never collide.
  - The header metadata holds {"format": "pt", "autograd_lite": JSON}: the JSON is the whole object,
    with each tensor replaced by a reference to its name and everything else encoded exactly:
        None, bool, int, str        as themselves
        float                       as itself if finite (repr round-trips), else {"float": "<64 bit hex>"}
        dict                        {"dict": [[key, value], ...]}    (keys: str or int, order kept)
        list / tuple                {"list": [...]} / {"tuple": [...]}
        al.Tensor / np.ndarray      {"tensor": name} / {"ndarray": name}
        NumPy scalar                {"scalar": name}  (stored as a 0-d tensor, to keep its dtype)
Loading reads only JSON and raw tensor bytes: an untrusted file cannot run code.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

import autograd_lite as al

_KEY = "autograd_lite"
_VERSION = 1

# The dtypes that both safetensors and NumPy have, by safetensors' names (for load: a file from another
# tool may hold bfloat16 or float8, which NumPy lacks) and by NumPy's (for save).
_NUMPY_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64"}
_SUPPORTED_DTYPES = {"bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
                     "float16", "float32", "float64"}


class CheckpointError(ValueError):
    """The file is not a checkpoint this module can read: truncated, not safetensors, or corrupt."""


# ------------------------------------------------------------------------------------------------ save
def _tensor_name(path: tuple[str | int, ...]) -> str:
    key = path[0] if len(path) == 1 else None
    if isinstance(key, str) and key not in ("", "__metadata__") and not key.startswith("["):
        return key
    # Compact JSON of the path: distinct paths give distinct strings (0 and "0" differ), and all of
    # them start with "[", which the names used verbatim above never do.
    return json.dumps(list(path), ensure_ascii=False, separators=(",", ":"))


def _where(path: tuple[str | int, ...]) -> str:
    return "the object" if not path else "obj" + "".join(f"[{k!r}]" for k in path)


def _encode(value: Any, path: tuple[str | int, ...], tensors: dict[str, np.ndarray], active: set[int]) -> Any:
    """The JSON-ready form of `value`, collecting its tensors into `tensors` by name."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (al.Tensor, np.ndarray, np.generic)):
        array = value.data if isinstance(value, al.Tensor) else np.asarray(value)
        if array.dtype.name not in _SUPPORTED_DTYPES:
            raise TypeError(f"save: {_where(path)} has dtype {array.dtype}, which safetensors cannot store "
                            f"(supported: {', '.join(sorted(_SUPPORTED_DTYPES))})")
        name = _tensor_name(path)
        # safetensors.numpy writes an array's memory as is, so a strided view must be copied into C order
        # first (not by np.ascontiguousarray, which turns 0-d arrays into 1-d ones).
        tensors[name] = array if array.flags.c_contiguous else array.copy(order="C")
        tag = "tensor" if isinstance(value, al.Tensor) else "ndarray" if isinstance(value, np.ndarray) else "scalar"
        return {tag: name}
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if np.isfinite(value):
            return float(value)
        return {"float": struct.pack(">d", value).hex()}  # nan and inf: bit for bit, sign and payload too
    if isinstance(value, (dict, list, tuple)):
        if id(value) in active:
            raise ValueError(f"save: {_where(path)} contains itself")
        active.add(id(value))
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"save: {_where(path)} has a key {key!r} of type {type(key).__name__}; "
                                    f"dict keys must be str or int")
                items.append([key if isinstance(key, str) else int(key),
                              _encode(item, (*path, key), tensors, active)])
            out: Any = {"dict": items}
        else:
            out = {"tuple" if isinstance(value, tuple) else "list":
                   [_encode(item, (*path, i), tensors, active) for i, item in enumerate(value)]}
        active.discard(id(value))
        return out
    raise TypeError(f"save: {_where(path)} is a {type(value).__name__}; a checkpoint holds only Tensors, "
                    f"NumPy arrays, dicts, lists, tuples, int, float, bool, str and None")


def _write_atomically(path: str, data: bytes) -> None:
    """Replace `path` with `data` so that a crash at any point leaves either the old file or the new one."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as for any new file (mkstemp's
    # 0o600 would carry over to the checkpoint); O_EXCL never reuses an existing file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them the checkpoint
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    # The rename itself is durable only once the directory is synced (POSIX; Windows cannot open a directory).
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save `obj` (a state dict: nested dicts, lists and tuples of Tensors, NumPy arrays, NumPy scalars,
    int, float, bool, str and None) to `path` as a safetensors file, atomically.

    Dict keys must be str or int. Tensors are saved by value: two entries sharing memory are saved (and
    loaded) as two tensors, and requires_grad is not kept (load_state_dict copies into parameters).
    """
    tensors: dict[str, np.ndarray] = {}
    structure = _encode(obj, (), tensors, set())
    # allow_nan=False: non-finite floats are already encoded as bits, so this only guards the format.
    header = json.dumps({"version": _VERSION, "object": structure}, ensure_ascii=False, allow_nan=False,
                        separators=(",", ":"))
    # "format": "pt" is what Hugging Face loaders check for: the names and layout are PyTorch's.
    data = safetensors.numpy.save(tensors, metadata={"format": "pt", _KEY: header})
    _write_atomically(os.fspath(path), data)


# ------------------------------------------------------------------------------------------------ load
def _read_header(data: bytes, path: str) -> dict:
    """Check the safetensors framing ourselves, to say clearly what is wrong with a bad file."""
    if len(data) < 8:
        raise CheckpointError(f"load: {path} is not a safetensors file (only {len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise CheckpointError(f"load: {path} is truncated or not a safetensors file (its header claims "
                              f"{n} bytes, but only {len(data) - 8} follow)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"load: {path} is not a safetensors file (its header is not JSON: {e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"load: {path} is not a safetensors file (its header is not a JSON object)")
    return header


def _decode(node: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((tag, body),) = node.items()
        if tag == "dict":
            return {key: _decode(value, arrays, path) for key, value in body}
        if tag == "list":
            return [_decode(item, arrays, path) for item in body]
        if tag == "tuple":
            return tuple(_decode(item, arrays, path) for item in body)
        if tag == "float":
            return struct.unpack(">d", bytes.fromhex(body))[0]
        if tag in ("tensor", "ndarray", "scalar"):
            if body not in arrays:
                raise CheckpointError(f"load: {path} is corrupt: its metadata refers to a tensor {body!r} "
                                      f"that the file does not hold")
            array = arrays[body]
            return al.from_numpy(array) if tag == "tensor" else array if tag == "ndarray" else array[()]
    raise CheckpointError(f"load: {path} is corrupt: unexpected entry {node!r} in its metadata")


def load(path: str | os.PathLike) -> Any:
    """Load what `save` wrote: Tensors as al.Tensors, NumPy arrays as arrays, plain values as saved.

    A safetensors file written by another tool (say PyTorch weights) loads as a flat dict of Tensors.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    header = _read_header(data, path)
    for name, entry in header.items():
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        if name != "__metadata__" and isinstance(dtype, str) and dtype not in _NUMPY_DTYPES:
            raise CheckpointError(f"load: tensor {name!r} in {path} has dtype {dtype}, which NumPy cannot "
                                  f"hold (readable: {', '.join(sorted(_NUMPY_DTYPES))})")
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as e:  # safetensors raises its own SafetensorError, or Rust panics surfaced as others
        raise CheckpointError(f"load: {path} is truncated or not a valid safetensors file ({e})") from None
    # Each array views its own buffer; if safetensors ever hands out read-only views, copy them, because
    # optimizers and load_state_dict update state in place.
    arrays = {name: a if a.flags.writeable else a.copy() for name, a in arrays.items()}
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or _KEY not in metadata:
        # Not ours: a plain safetensors file. Keep the order of its header.
        return {name: al.from_numpy(arrays[name]) for name in header if name != "__metadata__"}
    try:
        ours = json.loads(metadata[_KEY])
        version, structure = ours["version"], ours["object"]
    except (TypeError, ValueError, KeyError):
        raise CheckpointError(f"load: {path} is corrupt: its {_KEY!r} metadata is not valid") from None
    if version != _VERSION:
        raise CheckpointError(f"load: {path} was written by format version {version}; this version of "
                              f"nn.serialization reads version {_VERSION}")
    try:
        return _decode(structure, arrays, path)
    except CheckpointError:
        raise
    except (TypeError, ValueError, struct.error) as e:
        raise CheckpointError(f"load: {path} is corrupt: its {_KEY!r} metadata is malformed ({e})") from None

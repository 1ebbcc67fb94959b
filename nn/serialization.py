"""Checkpoints: `save` and `load` state dicts (nested dicts and lists of tensors, arrays and plain values)
as safetensors files, never with pickle.

File format (a standard safetensors file, so other tools can read it):
  - Every Tensor and NumPy array is a safetensors tensor. A tensor under a string key of the top-level
    dict is named by that key itself, so `save(model.state_dict(), path)` writes exactly the names
    PyTorch expects (`safetensors.torch.load_file(path)` feeds `load_state_dict`). Every other tensor
    is named by its path as compact JSON, e.g. `["state",0,"exp_avg"]`; top-level keys that start with
    "[" (or are "" or "__metadata__") are named that way too, so names never collide.
  - The header metadata holds {"format": "pt", "autograd_lite": JSON}, where the JSON is
    {"version": 2, "object": ..., "crc32": {tensor name: CRC-32 of its bytes in the file, ...}}. "object" is
    the whole object, with each tensor replaced by a reference to its name and everything else encoded exactly:
        None, bool, int, str        as themselves
        float                       as itself if finite (repr round-trips), else {"float": "<64 bit hex>"}
        dict                        {"dict": [[key, value], ...]}    (keys: str or int, order kept)
        list / tuple                {"list": [...]} / {"tuple": [...]}
        al.Tensor / np.ndarray      {"tensor": name} / {"ndarray": name}
        NumPy scalar                {"scalar": name}  (stored as a 0-d tensor, to keep its dtype)
    Version 1 had no "crc32"; its files still load, unverified, as do safetensors files from other tools.

Loading treats the file as hostile: it reads only JSON and raw tensor bytes (so it cannot run code), only from
a regular file, and never more than the file's size: the header's length is checked against the file's size
and a bound before the header is read, its nesting depth before it is parsed, and every tensor's entry
(dtype, shape, offsets) before any tensor is read. Each tensor is then read straight into its own array (about
one file size of memory in all) and, from version 2 on, checked against its CRC-32: a flipped byte is an error,
not a silently different weight.

Saving writes a locked temp file beside the target, then renames it over the target, so a crash leaves the
old file or the new one, never a mix; the next save of that path removes temp files that crashes left.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
import secrets
import stat
import struct
import time
import zlib
from typing import Any, BinaryIO

import numpy as np
import safetensors.numpy

import autograd_lite as al

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

_KEY = "autograd_lite"
_VERSION = 2  # 2 added the CRC-32s; version 1 files still load

# safetensors' dtypes that NumPy has (a file from another tool may hold bfloat16 or float8, which NumPy lacks),
# as little-endian NumPy dtypes: safetensors stores little-endian.
_DTYPES = {"BOOL": np.dtype("?"), "U8": np.dtype("u1"), "I8": np.dtype("i1"), "U16": np.dtype("<u2"),
           "I16": np.dtype("<i2"), "U32": np.dtype("<u4"), "I32": np.dtype("<i4"), "U64": np.dtype("<u8"),
           "I64": np.dtype("<i8"), "F16": np.dtype("<f2"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
_SUPPORTED_DTYPES = {dtype.name for dtype in _DTYPES.values()}

# json.loads builds Python objects 10-25x the size of their text, so the header is bounded well below
# safetensors' own 100 MB: a hostile header costs at most a few hundred MB. Real headers are far smaller
# (a 70B-parameter LLM's: ~100 kB; a 1000-parameter model with its Adam state: ~0.6 MB).
_MAX_HEADER = 16_000_000
# Dicts, lists and tuples nested in one another. json.loads and _decode recurse, so without a bound a deeply
# nested file would raise RecursionError. In the JSON, a dict takes 3 levels ({"dict": [[key, value]]}),
# the wrapper {"version": ..., "object": ...} and a leaf such as {"tensor": name} one each.
_MAX_DEPTH = 100
_MAX_JSON_DEPTH = 3 * _MAX_DEPTH + 2


class CheckpointError(ValueError):
    """The file is not a checkpoint this module can read: not a regular file, truncated, not safetensors,
    or corrupt."""


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
        array = value.array if isinstance(value, al.Tensor) else np.asarray(value)
        if array.dtype.name not in _SUPPORTED_DTYPES:
            raise TypeError(f"save: {_where(path)} has dtype {array.dtype}, which safetensors cannot store "
                            f"(supported: {', '.join(sorted(_SUPPORTED_DTYPES))})")
        name = _tensor_name(path)
        # In C order and little-endian, so that the memory is the file's bytes and the CRC-32 is theirs (a
        # strided view or a big-endian array is copied; np.ascontiguousarray would turn 0-d arrays into 1-d).
        tensors[name] = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
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
        if len(path) >= _MAX_DEPTH:  # load refuses deeper files
            raise ValueError(f"save: {_where(path)} is a {type(value).__name__} nested in {len(path)} others; "
                             f"a checkpoint nests at most {_MAX_DEPTH} dicts, lists and tuples")
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


def _remove_stale_temp_files(directory: str, base: str) -> None:
    """Remove the temp files of saves of `directory/base` that were killed mid-write (kill -9, power loss).

    A live save holds an exclusive flock on its temp file until the file is renamed or removed, so one that
    can be locked without waiting has no writer left. Without fcntl (Windows, where a file open in another
    process cannot be removed anyway), a temp file untouched for an hour counts as stale instead.
    """
    pattern = re.compile(rf"\.{re.escape(base)}\.[0-9a-f]{{16}}\.tmp")
    try:
        names = [name for name in os.listdir(directory) if pattern.fullmatch(name)]
    except OSError:
        return  # an unlistable directory: the save itself will say what is wrong, if anything
    for name in names:
        tmp = os.path.join(directory, name)
        try:
            if fcntl is None:
                if time.time() - os.stat(tmp).st_mtime > 3600:
                    os.unlink(tmp)
                continue
            fd = os.open(tmp, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.unlink(tmp)  # while locked: a save that has just created it waits, then sees it gone
            finally:
                os.close(fd)
        except OSError:
            pass  # locked by a live save (BlockingIOError), already gone, or not ours to remove: leave it


def _create_temp_file(directory: str, base: str, mode: int) -> tuple[int, str]:
    """A new temp file beside the target, locked against _remove_stale_temp_files of other saves."""
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(8)}.tmp")
        # O_EXCL never reuses an existing file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        if fcntl is None:
            return fd, tmp
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks (some NFS): other saves cannot lock it either, so keep it
            return fd, tmp
        # Another save may have locked and removed it as stale between os.open and flock: then make another.
        try:
            if os.path.samestat(os.fstat(fd), os.stat(tmp)):
                return fd, tmp
        except FileNotFoundError:
            pass
        os.close(fd)


def _write_atomically(path: str, data: bytes) -> None:
    """Replace `path` with `data` so that a crash at any point leaves either the old file or the new one."""
    # Through a symlink, as an editor or torch.save would: the link stays and its final target gets the new
    # bytes. The temp file goes beside the target, so that the rename stays within one file system.
    target = os.path.realpath(path)
    directory, base = os.path.split(target)
    _remove_stale_temp_files(directory, base)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)  # an existing file keeps its permissions (say 600)
    except FileNotFoundError:
        mode = None
    # 0o666 lets the umask decide a new file's permissions (mkstemp's 0o600 would carry over to the
    # checkpoint); an existing file's own mode, umasked, is never more open than that file was.
    fd, tmp = _create_temp_file(directory, base, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as f:  # closing releases the lock: only once the temp file is renamed or gone
            if mode is not None:
                os.chmod(tmp, mode)  # exactly, without the umask
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them the checkpoint
            os.replace(tmp, target)
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


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Save `obj` (a state dict: nested dicts, lists and tuples of Tensors, NumPy arrays, NumPy scalars,
    int, float, bool, str and None) to `f` as a safetensors file: a path, written atomically, or a binary file
    object (as `torch.save` takes: an `io.BytesIO`, an open file), written at its position.

    Dict keys must be str or int, and at most 100 dicts, lists and tuples may be nested in one another.
    Tensors are saved by value: two entries sharing memory are saved (and loaded) as two tensors, and
    requires_grad is not kept (load_state_dict copies into parameters). If `f` is a symlink, its target
    is replaced; an existing file keeps its permissions. A whole module or optimizer is refused (saving one
    needs pickle): save its `state_dict()`.
    """
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        kind = type(obj).__name__
        raise TypeError(f"save: got a whole {kind} object; a checkpoint holds its state, not the object (saving "
                        f"objects needs pickle, and loading a pickle can run any code). Save its state_dict: "
                        f"save(obj.state_dict(), f), and restore it with obj.load_state_dict(load(f))")
    writer = f if hasattr(f, "write") else None
    path = "the file object" if writer is not None else os.fspath(f)
    tensors: dict[str, np.ndarray] = {}
    structure = _encode(obj, (), tensors, set())
    checksums = {name: zlib.crc32(array) for name, array in tensors.items()}
    # allow_nan=False: non-finite floats are already encoded as bits, so this only guards the format.
    ours = json.dumps({"version": _VERSION, "object": structure, "crc32": checksums}, ensure_ascii=False,
                      allow_nan=False, separators=(",", ":"))
    # "format": "pt" is what Hugging Face loaders check for: the names and layout are PyTorch's.
    data = safetensors.numpy.save(tensors, metadata={"format": "pt", _KEY: ours})
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > _MAX_HEADER:
        raise ValueError(f"save: the header of {path} would be {header_len} bytes, more than the {_MAX_HEADER} "
                         f"that load reads; store long lists of numbers as arrays")
    if writer is not None:
        writer.write(data)
    else:
        _write_atomically(path, data)


# ------------------------------------------------------------------------------------------------ load
# repr for error messages, cut short: what a hostile file holds can be megabytes long.
_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxlong = 120, 40
_show = _REPR.repr


def _open_regular_file(path: str) -> BinaryIO:
    # O_NONBLOCK, or opening a FIFO would wait for a writer forever; on a regular file it changes nothing.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                    else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
                    else "not a regular file")
            raise CheckpointError(f"load: {path} is {kind}; a checkpoint is a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


_NOT_JSON_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")


def _nesting(text: bytes) -> int:
    """How deeply the JSON `text` nests arrays and objects, counted without parsing it (json.loads recurses)."""
    # Escaped backslashes go first, then escaped quotes (the order JSON reads them in); of the rest only quotes
    # and brackets are kept, and what lies between two quotes (or after a last, unclosed one) is in a string.
    text = text.replace(b"\\\\", b"").replace(b'\\"', b"").translate(_BRACES_AS_BRACKETS, _NOT_JSON_STRUCTURE)
    text = re.sub(rb'"[^"]*"?', b"", text)
    steps = 92 - np.frombuffer(text, np.int8)  # "[" (91) -> +1, "]" (93) -> -1
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))


def _parse_json(text: bytes, path: str, what: str) -> Any:
    depth = _nesting(text)
    if depth > _MAX_JSON_DEPTH:
        raise CheckpointError(f"load: {path} is corrupt: its {what} nests {depth} levels deep; a checkpoint's "
                              f"nests at most {_MAX_JSON_DEPTH}")
    try:
        return json.loads(text.decode("utf-8"))
    except ValueError as e:  # also UnicodeDecodeError, and ints beyond Python's 4300-digit limit
        raise CheckpointError(f"load: {path} is not a checkpoint: its {what} is not valid JSON ({e})") from None


def _read_header(f: BinaryIO, size: int, path: str) -> dict:
    """The header, checked for size before it is read, and for depth before it is parsed."""
    head = f.read(8)
    if len(head) < 8:
        raise CheckpointError(f"load: {path} is not a safetensors file (only {len(head)} bytes; a safetensors "
                              f"file starts with its header's length in 8 bytes)")
    (n,) = struct.unpack("<Q", head)
    if n > size - 8 and (head.startswith(b"PK\x03\x04") or head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05"):
        raise CheckpointError(f"load: {path} is a PyTorch pickle (what torch.save writes); loading one can run "
                              f"any code, so it is refused here. In PyTorch, save the state_dict with safetensors "
                              f"instead: safetensors.torch.save_file(model.state_dict(), path)")
    if n > size - 8:
        raise CheckpointError(f"load: {path} is truncated or not a safetensors file (its header claims "
                              f"{n} bytes, but only {size - 8} follow)")
    if n > _MAX_HEADER:
        raise CheckpointError(f"load: {path} has a header of {n} bytes; a checkpoint's is at most "
                              f"{_MAX_HEADER // 1_000_000} MB")
    text = f.read(n)
    if len(text) < n:
        raise CheckpointError(f"load: {path} was truncated while being read")
    header = _parse_json(text, path, "header")
    if not isinstance(header, dict):
        raise CheckpointError(f"load: {path} is not a safetensors file (its header is a JSON "
                              f"{type(header).__name__}, not an object)")
    return header


def _tensor_entries(header: dict, data_size: int, path: str) -> list[tuple[str, np.dtype, tuple[int, ...], int]]:
    """(name, dtype, shape, byte count) of every tensor, in the order of their bytes in the file, after checking
    what safetensors requires: known dtypes, sizes that match the shapes, and tensors that fill the data section
    back to back, with no gap, no overlap and nothing after them."""
    entries = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict):
            raise CheckpointError(f"load: {path} is corrupt: the entry of tensor {_show(name)} is {_show(entry)}, "
                                  f"not an object with dtype, shape and data_offsets")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            raise CheckpointError(f"load: {path} has tensor {_show(name)} of dtype {_show(dtype)}; readable dtypes "
                                  f"are those NumPy has: {', '.join(sorted(_DTYPES))}")
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise CheckpointError(f"load: {path} is corrupt: tensor {_show(name)} has shape {_show(shape)}, not a "
                                  f"list of sizes >= 0")
        try:
            np.empty((0,) * len(shape))  # NumPy's limit on dimensions (32 or 64, by version), allocating nothing
        except ValueError as e:
            raise CheckpointError(f"load: {path} has tensor {_show(name)} of shape {_show(shape)}, which NumPy "
                                  f"cannot hold ({e})") from None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError(f"load: {path} is corrupt: tensor {_show(name)} has data_offsets {_show(offsets)}, "
                                  f"not [begin, end] with 0 <= begin <= end")
        if offsets[1] > data_size:
            raise CheckpointError(f"load: {path} is truncated: tensor {_show(name)} ends at byte {_show(offsets[1])} "
                                  f"of the data, which has {data_size} bytes")
        # The product of the shape, capped: a hostile one's can have 270000 digits, and a header dozens of them.
        nbytes = _DTYPES[dtype].itemsize
        for d in shape:
            nbytes = min(nbytes * d, data_size + 1)
        if offsets[1] - offsets[0] != nbytes:
            needs = f"{nbytes} bytes" if nbytes <= data_size else f"more than the {data_size} bytes of data"
            raise CheckpointError(f"load: {path} is corrupt: tensor {_show(name)} ({dtype}, shape {_show(shape)}) "
                                  f"needs {needs}, but its data_offsets {offsets} span {offsets[1] - offsets[0]}")
        entries.append((offsets[0], offsets[1], name, _DTYPES[dtype], tuple(shape)))
    entries.sort(key=lambda e: e[:2])  # empty tensors first among those at one offset
    end = 0
    for begin, stop, name, _, _ in entries:
        if begin != end:
            raise CheckpointError(f"load: {path} is corrupt: tensor {_show(name)} starts at byte {begin} of the "
                                  f"data, but the tensors before it end at byte {end} ("
                                  f"{'gap' if begin > end else 'overlap'}; safetensors stores tensors back to back)")
        end = stop
    if end != data_size:
        raise CheckpointError(f"load: {path} is corrupt: its tensors end at byte {end} of the data, but the file "
                              f"holds {data_size} bytes of data")
    return [(name, dtype, shape, stop - begin) for begin, stop, name, dtype, shape in entries]


def _our_metadata(header: dict, names: set[str], path: str) -> dict | None:
    """Our metadata ({"version", "object", "crc32" (version 2)}), or None for a file from another tool."""
    metadata = header.get("__metadata__")
    if metadata is None:
        return None
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise CheckpointError(f"load: {path} is corrupt: its __metadata__ is {_show(metadata)}, not an object "
                              f"of strings")
    if _KEY not in metadata:
        return None
    # surrogatepass: a lone surrogate (which JSON can escape) then fails as invalid UTF-8 in _parse_json.
    ours = _parse_json(metadata[_KEY].encode("utf-8", "surrogatepass"), path, f"{_KEY!r} metadata")
    if not (isinstance(ours, dict) and "version" in ours and "object" in ours):
        raise CheckpointError(f"load: {path} is corrupt: its {_KEY!r} metadata is not valid (it is "
                              f"{_show(ours)}; expected an object with version and object)")
    if ours["version"] not in (1, 2):
        raise CheckpointError(f"load: {path} was written by format version {_show(ours['version'])}; this version "
                              f"of nn.serialization reads versions 1 and 2")
    if ours["version"] == 2:
        checksums = ours.get("crc32")
        if not (isinstance(checksums, dict) and all(type(c) is int for c in checksums.values())):
            raise CheckpointError(f"load: {path} is corrupt: its {_KEY!r} metadata (version 2) has crc32 "
                                  f"{_show(checksums)}, not an object of tensor name: int")
        if set(checksums) != names:
            raise CheckpointError(f"load: {path} is corrupt: its crc32 table has no CRC-32 for "
                                  f"{_show(sorted(names - set(checksums)))} and CRC-32s for tensors it does not hold "
                                  f"{_show(sorted(set(checksums) - names))}")
    return ours


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
                raise CheckpointError(f"load: {path} is corrupt: its metadata refers to a tensor {_show(body)} "
                                      f"that the file does not hold")
            array = arrays[body]
            return al.from_numpy(array) if tag == "tensor" else array if tag == "ndarray" else array[()]
    raise CheckpointError(f"load: {path} is corrupt: unexpected entry {_show(node)} in its metadata")


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, *, weights_only: bool | None = None) -> Any:
    """Load what `save` wrote, from a path or a seekable binary file object: Tensors as al.Tensors, NumPy
    arrays as arrays, plain values as saved.

    A safetensors file written by another tool (say PyTorch weights) loads as a flat dict of Tensors.
    Raises CheckpointError for anything but a valid checkpoint, including a tensor whose bytes no longer
    match their CRC-32; OSError if the file cannot be opened. `map_location` and `weights_only` are
    `torch.load`'s: everything loads onto the CPU (another device is refused), and only tensors and plain
    values are ever loaded, whatever `weights_only` says (nothing is unpickled, so no code can run).
    """
    if map_location is not None and not isinstance(map_location, dict) and not callable(map_location):
        al.devices.check_device("load", map_location)     # "cpu" or al.device("cpu"); another device is refused
    if hasattr(f, "read"):
        if not (hasattr(f, "seekable") and f.seekable()):
            raise CheckpointError("load: the file object is not seekable; pass a path, or a seekable file "
                                  "object such as io.BytesIO(stream.read(limit))")
        start = f.tell()
        size = f.seek(0, os.SEEK_END) - start
        f.seek(start)
        return _load_from(f, size, "the file object")
    path = os.fspath(f)
    with _open_regular_file(path) as opened:
        return _load_from(opened, os.fstat(opened.fileno()).st_size, path)


def _load_from(f: BinaryIO, size: int, path: str) -> Any:
    """Read a checkpoint of `size` bytes from `f`'s position."""
    start = f.tell()
    header = _read_header(f, size, path)
    entries = _tensor_entries(header, size - (f.tell() - start), path)
    ours = _our_metadata(header, {name for name, *_ in entries}, path)
    checksums = ours["crc32"] if ours and ours["version"] == 2 else None  # version 1, another tool's file
    arrays = {}
    for name, dtype, shape, nbytes in entries:  # in file order: each tensor's bytes follow the last's
        # A fresh array per tensor, filled in place: writable, independent of the file, read once.
        buffer = np.empty(nbytes, np.uint8)
        if f.readinto(buffer) != nbytes:
            raise CheckpointError(f"load: {path} was truncated while being read (tensor {_show(name)})")
        if checksums is not None and zlib.crc32(buffer) != checksums[name]:
            raise CheckpointError(f"load: {path} is corrupt: the bytes of tensor {_show(name)} do not match the "
                                  f"CRC-32 saved with them (expected {checksums[name]:#010x}, found "
                                  f"{zlib.crc32(buffer):#010x})")
        arrays[name] = buffer.view(dtype).reshape(shape)
    if ours is None:
        # Not ours: a plain safetensors file. Keep the order of its header.
        return {name: al.from_numpy(arrays[name]) for name in header if name != "__metadata__"}
    try:
        return _decode(ours["object"], arrays, path)
    except CheckpointError:
        raise
    except (TypeError, ValueError, struct.error) as e:
        raise CheckpointError(f"load: {path} is corrupt: its {_KEY!r} metadata is malformed ({e})") from None

"""MNIST handwritten digits: read from the original IDX gzip files, checked by MD5, downloaded on request.

Mirrors `torchvision.datasets.MNIST`, except that a sample is already a float32 Tensor in [0, 1] of shape
(1, 28, 28) (torchvision gives a PIL image and leaves the conversion to `transforms.ToTensor()`).

Where the files are: `root` is the argument, else `$AUTOGRAD_LITE_DATA` if set, else the user cache folder
(`$XDG_CACHE_HOME/autograd_lite`, else `~/.cache/autograd_lite`). The variable is read at each call, not at
import, so setting it inside a running notebook (`os.environ["AUTOGRAD_LITE_DATA"] = "/path"`) takes effect
at the next `MNIST(...)`. Under `root`, three layouts are looked in, in this order (see `folders`):
  1. `root/` itself: a folder holding just the .gz files (e.g. AUTOGRAD_LITE_DATA=/data/mnist);
  2. `root/mnist/`: this library's own layout, one folder per dataset, so one root (the user cache, or a
     shared data folder such as `/data` holding `mnist/` and others) holds several datasets;
  3. `root/MNIST/raw/`: torchvision's, so a data folder shared with torchvision works.
  The first that holds both files of the split asked for is used; else the first holding any MNIST file
  (a missing file then joins the others there); else `root/mnist/`, where `download=True` puts new files.
  Only the two files of the split asked for are fetched.
Why `mnist/` and not torchvision's `MNIST/raw/`: the `raw/` level is there in torchvision to keep processed
copies apart, and no processed copy is kept here (below); a lowercase folder per dataset is what caches
and data folders usually hold (`~/.cache/<tool>/<dataset>`), and the name matches the module's. Where
file names ignore case (macOS, Windows), `mnist/` and `MNIST/` are one folder: the .gz files beside
torchvision's `raw/` are then layout 2, those inside it layout 3, and both are still found.

No decoded copy is cached: unzipping the training images takes about 0.2 s and checking their MD5 0.02 s,
while reading a cached .npy of them took 0.1 s; saving that is not worth a second file to keep in step
with the first (and a root that may be read-only).
"""

from __future__ import annotations

import gzip
import hashlib
import operator
import os
import secrets
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd_lite as al

from .dataset import Dataset

# The published MD5 sums of the original files (see e.g. torchvision's MNIST.resources).
MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
FILES = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/")
MEAN, STD = 0.1307, 0.3081  # of the training pixels scaled to [0, 1]: the usual Normalize((0.1307,), (0.3081,))
TIMEOUT = 30.0  # seconds allowed for connecting to a mirror and for each read from it
ENV_VAR = "AUTOGRAD_LITE_DATA"

# IDX: two zero bytes, a type code, the number of dims, then each dim as a big-endian uint32, then the data.
# MNIST's magic numbers are 0x00000803 (2051: unsigned bytes, 3 dims) for images, 0x00000801 (2049) for labels.
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def default_root() -> Path:
    """Where datasets live when no root is given: $AUTOGRAD_LITE_DATA, else the user's cache folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says to ignore a relative path here.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "autograd_lite"


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (gzipped or not), in native byte order.

    Raises ValueError naming the file and the fault if it is not valid gzip, not IDX, or its length
    disagrees with its header (truncated or with bytes to spare).
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: corrupt or truncated gzip file ({e}); delete it and download it again") from e
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(raw)} bytes, too short for the 4-byte magic number")
    magic = int.from_bytes(raw[:4], "big")
    code, ndim = raw[2], raw[3]
    if raw[:2] != b"\0\0" or code not in _IDX_TYPES or ndim == 0:
        raise ValueError(f"{path}: not an IDX file: bad magic number {magic:#010x} ({magic}); expected "
                         f"0x00000803 (2051) for images or 0x00000801 (2049) for labels")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX file: the header needs {header} bytes for {ndim} dims, "
                         f"the file has {len(raw)}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "corrupt"
        raise ValueError(f"{path}: {what} IDX file: the header says {' x '.join(map(str, shape))} of {dtype.name} "
                         f"({expected:,} bytes of data), but {found:,} bytes follow it")
    # A copy: frombuffer over bytes is read-only, and the dataset's arrays should be as writable as torchvision's.
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def folders(root: str | os.PathLike) -> tuple[Path, Path, Path]:
    """The folders under `root` where the MNIST files are looked for, in order: root itself (the files
    flat), root/mnist (this library's layout, where downloads go) and root/MNIST/raw (torchvision's)."""
    root = Path(root)
    return root, root / "mnist", root / "MNIST" / "raw"


def _raw_folder(root: Path, names: Sequence[str], new: int = 1) -> Path:
    """The folder to read `names` from (and download missing ones into): see the module docstring. `new`:
    which of `folders(root)` gets the files when none holds any (1, root/mnist; torch_compat's 2, MNIST/raw)."""
    candidates = folders(root)
    for folder in candidates:
        if all((folder / name).is_file() for name in names):
            return folder
    for folder in candidates:
        if any((folder / name).is_file() for name in MD5):
            return folder
    return candidates[new]


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(enabled: bool, **kwargs: Any) -> Any:
    if not enabled:
        return _NoBar()
    try:
        with warnings.catch_warnings():
            # In Jupyter without ipywidgets, tqdm.auto warns "IProgress not found ... update jupyter and
            # ipywidgets" and falls back to its text bar, which Jupyter shows well: no need to alarm anyone.
            warnings.filterwarnings("ignore", message="IProgress not found")
            from tqdm.auto import tqdm
    except ImportError:  # the bar is a nicety: without tqdm, download without one
        return _NoBar()
    return tqdm(**kwargs)


def _fetch(url: str, out: Any, name: str, progress: bool) -> None:
    import urllib.request  # here, not at the top: it costs `import nn` 15 ms, and most runs never download

    request = urllib.request.Request(url, headers={"User-Agent": "autograd_lite"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        size = response.headers.get("Content-Length")
        bar = _progress_bar(progress, total=int(size) if size and size.isdigit() else None, desc=name,
                            unit="B", unit_scale=True, unit_divisor=1024, leave=False)
        try:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()


def download_file(name: str, folder: str | os.PathLike, mirrors: Sequence[str] = MIRRORS,
             md5: str | None = None, progress: bool = True) -> Path:
    """Fetch `name` into `folder`, trying each mirror in turn; return its path.

    Each try writes to a hidden temporary file in `folder`, checks its MD5 (when `md5` is given) and
    only then renames it into place, so a failed, interrupted or corrupt download leaves nothing
    behind (and an older file of that name is replaced only by a good copy). If every mirror fails,
    raises RuntimeError listing each mirror's failure.
    """
    import http.client

    folder = Path(folder)
    dest = folder / name
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    if not mirrors:
        raise ValueError(f"download_file: no mirrors to fetch {name} from")
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = (mirror if mirror.endswith("/") else mirror + "/") + name
        # Not tempfile.mkstemp: its files are private (0600); this one gets the umask's mode, as any new file.
        tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        out = open(tmp, "xb")  # outside the try: if it cannot be made, that is no fault of the mirror
        try:
            with out:
                _fetch(url, out, name, progress)
            if md5 is not None and (got := _md5(tmp)) != md5:
                raise ValueError(f"checksum mismatch: MD5 {got}, expected {md5}")
            os.replace(tmp, dest)
            tmp = None
            return dest
        except (OSError, ValueError, http.client.HTTPException) as e:  # URLError and timeouts are OSErrors
            failures.append(f"  {url}: {type(e).__name__}: {e}")
        finally:
            if tmp is not None:
                os.unlink(tmp)
    raise RuntimeError(f"could not download {name}; every mirror failed:\n" + "\n".join(failures) +
                       f"\nTo install it by hand, fetch {name} from any MNIST mirror and place it in {folder}"
                       + (f" (its MD5 must be {md5})." if md5 else "."))


class MNIST(Dataset):
    """The MNIST digits: 60,000 training or 10,000 test images of 28 x 28 grey pixels, labels 0-9.

    `dataset[i]` is `(image, label)`: image a float32 Tensor of shape (1, 28, 28) in [0, 1], passed
    through `transform` if given; label an int, passed through `target_transform` if given.
    `.data` holds the raw pixels (a uint8 Tensor, N x 28 x 28) and `.targets` the labels (an int64 Tensor, N),
    as torchvision's.
    For training, `tensors()` returns the whole split as two Tensors ready for TensorDataset.

    Where the files are read from and downloaded to: see this module's docstring. Each file's MD5 is
    checked against `checksums` (file name -> MD5; default the published sums in `MD5`) before use;
    a file whose name is missing from `checksums` is not checked. With `download=True`, files that are
    missing or fail their check are fetched from `mirrors` (default `MIRRORS`), with a tqdm progress
    bar if `progress` and tqdm is installed.
    """

    # Which of `folders(root)` new files go to when none holds any yet: root/mnist (1); torch_compat's
    # torchvision.datasets.MNIST says root/MNIST/raw (2), so a data folder shared with torchvision works both ways.
    new_files_layout = 1
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    mean, std = MEAN, STD

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True, download: bool = False,
                 transform: Callable[[al.Tensor], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None,
                 mirrors: Sequence[str] | None = None, progress: bool = True, *,
                 checksums: Mapping[str, str] | None = None) -> None:
        self.root = default_root() if root is None else Path(root).expanduser()
        # Said in errors, so that a student sees why this root was chosen.
        self._origin = ("the root argument" if root is not None else f"${ENV_VAR}" if os.environ.get(ENV_VAR)
                        else f"the user cache folder, as ${ENV_VAR} is not set")
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        self.mirrors = tuple(MIRRORS if mirrors is None else [mirrors] if isinstance(mirrors, str) else mirrors)
        checksums = MD5 if checksums is None else checksums
        self.raw_folder = _raw_folder(self.root, FILES[self.train], self.new_files_layout)
        paths = [self._checked(name, checksums.get(name), download, progress) for name in FILES[self.train]]
        images = read_idx(paths[0])
        labels = read_idx(paths[1])
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise ValueError(f"{paths[0]}: expected uint8 images of N x 28 x 28, found {images.dtype} "
                             f"of shape {images.shape}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"{paths[1]}: expected a uint8 vector of labels, found {labels.dtype} "
                             f"of shape {tuple(labels.shape)}")
        if len(labels) != len(images):
            raise ValueError(f"{paths[0]} holds {len(images)} images but {paths[1]} holds {len(labels)} "
                             f"labels; one of them is not from the same split")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{paths[1]}: labels must be digits 0-9, found {int(labels.max())}")
        self.data = al.from_numpy(images)
        self.targets = al.from_numpy(labels.astype(np.int64))

    def _checked(self, name: str, md5: str | None, download: bool, progress: bool) -> Path:
        path = self.raw_folder / name
        present = path.is_file()
        if present and (md5 is None or _md5(path) == md5):
            return path
        where = ", ".join(map(str, folders(self.root)))
        fix = (f"Or point ${ENV_VAR} at a folder holding the original files ({', '.join(MD5)}), flat or in "
               f"mnist/ or MNIST/raw/ (in a running notebook, os.environ[{ENV_VAR!r}] = '/path/to/data' takes "
               f"effect at the next MNIST() call: no restart needed), or pass root=.")
        if download:
            try:
                return download_file(name, self.raw_folder, self.mirrors, md5, progress)
            except (RuntimeError, OSError) as e:
                state = (f"{path} failed its MD5 check" if present else
                         f"{name} is in none of {where} (root {self.root}: {self._origin})")
                raise RuntimeError(f"MNIST: {state}, and downloading it failed: {e}\n{fix}") from e
        if not present:
            raise FileNotFoundError(
                f"MNIST: {name} is in none of {where} (root {self.root}: {self._origin}). Pass "
                f"download=True to fetch it into {self.raw_folder}. {fix}")
        raise ValueError(f"MNIST: {path} has MD5 {_md5(path)}, expected {md5}: it is corrupt, truncated or not "
                         f"the original file. Delete it and pass download=True to fetch it again, or replace it "
                         f"with the original {name}")

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = operator.index(index)
        image = al.from_numpy(self._scaled(self.data.array[index]).reshape(1, 28, 28))
        label = int(self.targets.array[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    @staticmethod
    def _scaled(pixels: np.ndarray) -> np.ndarray:
        # The same float32 arithmetic for one image and for all, so tensors() equals the stacked samples.
        out = np.empty(pixels.shape, dtype=np.float32)
        np.divide(pixels, np.float32(255), out=out, dtype=np.float32)
        return out

    def tensors(self, flatten: bool = False, normalize: bool = True) -> tuple[al.Tensor, al.Tensor]:
        """The whole split as (images, labels): float32 (N, 1, 28, 28), or (N, 784) if `flatten`, and int64 (N,).

        Pixels are scaled to [0, 1] and, if `normalize`, standardised as `(x - 0.1307) / 0.3081`. `transform`
        and `target_transform` are not applied. Use with the DataLoader's fast path:
        `DataLoader(TensorDataset(*mnist.tensors()), batch_size=64, shuffle=True)`.
        """
        images = self._scaled(self.data.array)
        if normalize:
            images -= np.float32(MEAN)
            images /= np.float32(STD)
        shape = (len(self), 784) if flatten else (len(self), 1, 28, 28)
        return al.from_numpy(images.reshape(shape)), al.from_numpy(self.targets.array.copy())

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self) -> str:
        return (f"Dataset MNIST\n    Number of datapoints: {len(self)}\n    Root location: {self.root}\n"
                f"    Split: {'Train' if self.train else 'Test'}")


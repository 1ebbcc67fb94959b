"""nn.data.MNIST on tiny IDX files made here: parsing, samples, tensors(), layouts, checksums, errors, and
downloads from a local HTTP server (never the internet)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import stat
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
from nn.data import MNIST, DataLoader, TensorDataset
from nn.data import mnist as mnist_module

TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
TRAIN_Y = [3, 1, 4, 1, 5]
TEST_Y = [9, 2, 6]


def idx_bytes(array: np.ndarray, magic: bytes | None = None) -> bytes:
    """An IDX file's bytes: magic (unsigned bytes, ndim), big-endian dims, data."""
    magic = bytes([0, 0, 0x08, array.ndim]) if magic is None else magic
    return magic + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def images(n: int, seed: int) -> np.ndarray:
    """n images whose pixels are known and cover 0 and 255."""
    x = (np.arange(n * 784).reshape(n, 28, 28) * (seed + 7)) % 256
    x[:, 0, 0], x[:, 27, 27] = 0, 255
    return x.astype(np.uint8)


TRAIN_X, TEST_X = images(len(TRAIN_Y), 1), images(len(TEST_Y), 2)
FILES = {
    TRAIN_IMAGES: gz(idx_bytes(TRAIN_X)),
    TRAIN_LABELS: gz(idx_bytes(np.array(TRAIN_Y, dtype=np.uint8))),
    TEST_IMAGES: gz(idx_bytes(TEST_X)),
    TEST_LABELS: gz(idx_bytes(np.array(TEST_Y, dtype=np.uint8))),
}
SUMS = {name: hashlib.md5(data).hexdigest() for name, data in FILES.items()}


def place(folder: Path, names=tuple(FILES), replace: dict[str, bytes] | None = None) -> Path:
    """Write the tiny files named into folder, with the contents in `replace` instead where given."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes((replace or {}).get(name, FILES[name]))
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------------------------------- reading, samples
def test_reads_idx_files_in_root(tmp_path):
    place(tmp_path)
    ds = MNIST(tmp_path, checksums=SUMS)
    assert len(ds) == len(TRAIN_Y)
    assert ds.data.dtype == np.uint8 and ds.data.shape == (5, 28, 28)
    np.testing.assert_array_equal(ds.data, TRAIN_X)
    assert ds.targets.dtype == np.int64 and ds.targets.tolist() == TRAIN_Y
    assert ds.raw_folder == tmp_path
    assert isinstance(ds.data, al.Tensor) and isinstance(ds.targets, al.Tensor)     # as torchvision's
    assert ds.data.array.flags.writeable
    assert ds.classes[0] == "0 - zero" and len(ds.classes) == 10 and ds.class_to_idx["9 - nine"] == 9
    assert "Number of datapoints: 5" in repr(ds) and "Split: Train" in repr(ds)

    test = MNIST(str(tmp_path), train=False, checksums=SUMS)
    np.testing.assert_array_equal(test.data, TEST_X)
    assert test.targets.tolist() == TEST_Y and "Split: Test" in repr(test)


def test_getitem_values_shapes_dtypes(tmp_path):
    ds = MNIST(place(tmp_path), checksums=SUMS)
    for i in range(len(ds)):
        image, label = ds[i]
        assert isinstance(image, al.Tensor) and image.shape == (1, 28, 28) and image.dtype == np.float32
        assert not image.requires_grad
        np.testing.assert_array_equal(image.numpy(), (TRAIN_X[i] / np.float32(255)).reshape(1, 28, 28))
        assert type(label) is int and label == TRAIN_Y[i]
    image, _ = ds[0]
    assert image.numpy()[0, 0, 0] == 0.0 and image.numpy()[0, 27, 27] == 1.0
    assert ds[-1][1] == TRAIN_Y[-1] and ds[np.int64(2)][1] == TRAIN_Y[2]
    with pytest.raises(IndexError):
        ds[len(ds)]
    with pytest.raises(TypeError):
        ds[1.5]


def test_transforms(tmp_path):
    seen = []

    def transform(image):
        seen.append((type(image), image.dtype, image.shape))
        return image * 2 - 1

    ds = MNIST(place(tmp_path), checksums=SUMS, transform=transform, target_transform=lambda y: f"digit {y}")
    image, label = ds[1]
    assert seen == [(al.Tensor, np.float32, (1, 28, 28))]
    np.testing.assert_allclose(image.numpy(), (TRAIN_X[1] / 255.0).reshape(1, 28, 28) * 2 - 1, rtol=0, atol=1e-6)
    assert label == "digit 1"
    # The DataLoader's general path collates the transformed samples.
    xb, yb = next(iter(DataLoader(MNIST(tmp_path, checksums=SUMS), batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.dtype == np.int64 and yb.tolist() == TRAIN_Y[:4]


def test_tensors_helper_and_normalisation(tmp_path):
    ds = MNIST(place(tmp_path), checksums=SUMS)
    x, y = ds.tensors(normalize=False)
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64 and y.shape == (5,)
    # Exactly the samples of __getitem__, stacked.
    np.testing.assert_array_equal(x.numpy(), np.stack([ds[i][0].numpy() for i in range(len(ds))]))
    assert y.tolist() == TRAIN_Y

    xn, yn = ds.tensors()
    expected = (TRAIN_X.astype(np.float64) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(xn.numpy(), expected.reshape(5, 1, 28, 28), rtol=1e-6, atol=1e-6)
    assert xn.numpy().min() == pytest.approx(-0.1307 / 0.3081, rel=1e-6)
    assert xn.numpy().max() == pytest.approx((1 - 0.1307) / 0.3081, rel=1e-6)

    flat, _ = ds.tensors(flatten=True)
    assert flat.shape == (5, 784) and flat.dtype == np.float32
    np.testing.assert_array_equal(flat.numpy(), xn.numpy().reshape(5, 784))

    yn.numpy()[0] = 7  # the labels are a copy: the dataset is unchanged
    assert ds.targets[0] == TRAIN_Y[0]

    # The helper's output goes straight into TensorDataset and the DataLoader's fast path.
    batches = list(DataLoader(TensorDataset(*ds.tensors(flatten=True)), batch_size=2))
    assert [tuple(xb.shape) for xb, _ in batches] == [(2, 784), (2, 784), (1, 784)]
    assert [v for _, yb in batches for v in yb.tolist()] == TRAIN_Y


# --------------------------------------------------------------------------------- layouts, default root
def test_torchvision_layout(tmp_path):
    place(tmp_path / "MNIST" / "raw")
    ds = MNIST(tmp_path, checksums=SUMS)
    assert ds.raw_folder == tmp_path / "MNIST" / "raw"
    assert ds.targets.tolist() == TRAIN_Y
    assert MNIST(tmp_path, train=False, checksums=SUMS).targets.tolist() == TEST_Y


def test_files_directly_in_root_win_over_torchvision_layout(tmp_path):
    place(tmp_path)
    place(tmp_path / "MNIST" / "raw", replace={TRAIN_LABELS: gz(idx_bytes(np.zeros(5, np.uint8)))})
    ds = MNIST(tmp_path, checksums={})
    assert ds.raw_folder == tmp_path and ds.targets.tolist() == TRAIN_Y


def test_default_root_env_var_then_cache(tmp_path, monkeypatch):
    place(tmp_path / "data")
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path / "data"))
    ds = MNIST(checksums=SUMS)
    assert ds.root == tmp_path / "data" and ds.targets.tolist() == TRAIN_Y

    monkeypatch.delenv("AUTOGRAD_LITE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist_module.default_root() == tmp_path / "xdg" / "autograd_lite"
    place(tmp_path / "xdg" / "autograd_lite" / "MNIST" / "raw")
    assert MNIST(train=False, checksums=SUMS).targets.tolist() == TEST_Y

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist_module.default_root() == tmp_path / "home" / ".cache" / "autograd_lite"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec says
    assert mnist_module.default_root() == tmp_path / "home" / ".cache" / "autograd_lite"


def test_missing_files_say_where_and_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path, checksums=SUMS)
    message = str(info.value)
    assert TRAIN_IMAGES in message and str(tmp_path) in message and "download=True" in message
    assert str(tmp_path / "mnist") in message and str(tmp_path / "MNIST" / "raw") in message
    assert "the root argument" in message and "AUTOGRAD_LITE_DATA" in message and "no restart needed" in message


# ------------------------------------------------------------------------------------------- checksums
def test_checksum_mismatch_names_file_and_remedy(tmp_path):
    place(tmp_path)
    with pytest.raises(ValueError) as info:
        MNIST(tmp_path)  # the published MD5s: the tiny files cannot match them
    message = str(info.value)
    assert str(tmp_path / TRAIN_IMAGES) in message and SUMS[TRAIN_IMAGES] in message
    assert mnist_module.MD5[TRAIN_IMAGES] in message and "download=True" in message


def test_checksum_table_can_be_patched_and_matches(tmp_path, monkeypatch):
    place(tmp_path)
    for name, md5 in SUMS.items():
        monkeypatch.setitem(mnist_module.MD5, name, md5)
    assert MNIST(tmp_path).targets.tolist() == TRAIN_Y
    # One changed byte in the labels is caught before the file is read.
    place(tmp_path, [TRAIN_LABELS], {TRAIN_LABELS: gz(idx_bytes(np.array([3, 1, 4, 1, 6], np.uint8)))})
    with pytest.raises(ValueError, match=f"{TRAIN_LABELS} has MD5"):
        MNIST(tmp_path)


# ----------------------------------------------------------------------------------- corrupt files
@pytest.mark.parametrize("images_file,match", [
    (b"not gzip at all", "corrupt or truncated gzip"),
    (FILES[TRAIN_IMAGES][: len(FILES[TRAIN_IMAGES]) // 2], "corrupt or truncated gzip"),
    (gz(b""), "too short for the 4-byte magic number"),
    (gz(b"\x00\x00\x08\x03\x00\x00"), "truncated IDX file: the header needs 16 bytes"),
    (gz(idx_bytes(TRAIN_X)[:-100]), r"truncated IDX file: the header says 5 x 28 x 28 of uint8 \(3,920 bytes"),
    (gz(idx_bytes(TRAIN_X) + b"\0"), "corrupt IDX file: .* but 3,921 bytes follow"),
    (gz(b"\x12\x34\x08\x03" + idx_bytes(TRAIN_X)[4:]), "bad magic number 0x12340803"),
    (gz(b"\x00\x00\x07\x03" + idx_bytes(TRAIN_X)[4:]), "bad magic number 0x00000703"),
    (gz(idx_bytes(np.array(TRAIN_Y, np.uint8))), "expected uint8 images of N x 28 x 28"),
    (gz(idx_bytes(TRAIN_X[:, :14])), "expected uint8 images of N x 28 x 28"),
    (gz(idx_bytes(TRAIN_X[:4])), "holds 4 images but .* holds 5 labels"),
])
def test_corrupt_image_files_clear_errors(tmp_path, images_file, match):
    place(tmp_path, replace={TRAIN_IMAGES: images_file})
    with pytest.raises(ValueError, match=match) as info:
        MNIST(tmp_path, checksums={})  # no checksums: the parser itself must catch these
    assert TRAIN_IMAGES in str(info.value)


@pytest.mark.parametrize("labels_file,match", [
    (gz(idx_bytes(TRAIN_X)), "expected a uint8 vector of labels"),
    (gz(idx_bytes(np.array([3, 1, 4, 1, 10], np.uint8))), "labels must be digits 0-9, found 10"),
    (gz(b"\x00\x00\x08\x01\x00\x00\x00\x05\x03\x01"), "truncated IDX file"),
])
def test_corrupt_label_files_clear_errors(tmp_path, labels_file, match):
    place(tmp_path, replace={TRAIN_LABELS: labels_file})
    with pytest.raises(ValueError, match=match) as info:
        MNIST(tmp_path, checksums={})
    assert TRAIN_LABELS in str(info.value)


def test_read_idx_other_types_and_plain_files(tmp_path):
    values = np.array([[1, -2, 70000], [3, 4, -5]], dtype=">i4")
    path = tmp_path / "ints.idx"
    path.write_bytes(b"\x00\x00\x0c\x02" + struct.pack(">2I", 2, 3) + values.tobytes())
    out = mnist_module.read_idx(path)
    assert out.dtype == np.int32 and out.dtype.isnative and out.tolist() == values.tolist()


# -------------------------------------------------------------------------------------------- download
class Server:
    """A local HTTP server: /good/ serves the tiny files, /bad/ corrupted copies, /slow/ stalls mid-file,
    anything else 404. Records each request path."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                kind, _, name = self.path.strip("/").partition("/")
                if name not in FILES or kind not in ("good", "bad", "slow"):
                    self.send_error(404)
                    return
                body = FILES[name] if kind != "bad" else FILES[name][:-8] + b"garbage!"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if kind == "slow":
                    self.wfile.write(body[:10])
                    self.wfile.flush()
                    threading.Event().wait(2.0)  # longer than the test's timeout; the client gives up
                    return
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def refused_url() -> str:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_into_empty_dir(tmp_path, server):
    umask = os.umask(0o022)
    try:
        ds = MNIST(tmp_path, download=True, mirrors=[server.url + "/good/"], checksums=SUMS, progress=False)
    finally:
        os.umask(umask)
    raw = tmp_path / "mnist"  # this library's layout: an empty root gets a folder per dataset
    assert ds.raw_folder == raw and ds.targets.tolist() == TRAIN_Y
    np.testing.assert_array_equal(ds.data, TRAIN_X)
    assert listing(raw) == sorted([TRAIN_IMAGES, TRAIN_LABELS])  # only the split asked for; no temp files
    assert (raw / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]
    assert stat.S_IMODE((raw / TRAIN_IMAGES).stat().st_mode) == 0o644  # as any new file, not private
    assert server.requests == [f"/good/{TRAIN_IMAGES}", f"/good/{TRAIN_LABELS}"]


def test_torch_compat_downloads_where_torchvision_does(tmp_path, server):
    from autograd_lite import torch_compat

    ds = torch_compat.torchvision.datasets.MNIST(tmp_path, download=True, mirrors=[server.url + "/good/"],
                                                 checksums=SUMS, progress=False)
    assert ds.raw_folder == tmp_path / "MNIST" / "raw" and type(ds).__name__ == "MNIST"
    assert listing(tmp_path / "MNIST" / "raw") == sorted([TRAIN_IMAGES, TRAIN_LABELS])
    assert MNIST(tmp_path, checksums=SUMS).raw_folder == tmp_path / "MNIST" / "raw"   # and we read them there


def test_download_with_progress_bar_and_mirror_without_slash(tmp_path, server, capsys):
    ds = MNIST(tmp_path, train=False, download=True, mirrors=server.url + "/good", checksums=SUMS)
    assert ds.targets.tolist() == TEST_Y
    assert listing(tmp_path / "mnist") == sorted([TEST_IMAGES, TEST_LABELS])
    bars = capsys.readouterr().err  # tqdm's text bar, one per file
    assert f"{TEST_IMAGES}:" in bars and f"{TEST_LABELS}:" in bars and "B/s" in bars


@pytest.mark.parametrize("first", ["404", "refused", "corrupt", "timeout"])
def test_failing_first_mirror_falls_through(tmp_path, server, monkeypatch, first):
    monkeypatch.setattr(mnist_module, "TIMEOUT", 0.3)
    bad = {"404": server.url + "/nothing/", "refused": refused_url(), "corrupt": server.url + "/bad/",
           "timeout": server.url + "/slow/"}[first]
    ds = MNIST(tmp_path, download=True, mirrors=[bad, server.url + "/good/"], checksums=SUMS, progress=False)
    assert ds.targets.tolist() == TRAIN_Y
    raw = tmp_path / "mnist"
    assert listing(raw) == sorted([TRAIN_IMAGES, TRAIN_LABELS])
    assert (raw / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]
    tried = [] if first == "refused" else [f"/{bad.split('/')[-2]}/"]  # a refused mirror never reaches the server
    assert server.requests == [p + name for name in (TRAIN_IMAGES, TRAIN_LABELS) for p in [*tried, "/good/"]]


def test_all_mirrors_failing_is_a_clear_error_and_leaves_nothing(tmp_path, server):
    mirrors = [server.url + "/nothing/", refused_url(), server.url + "/bad/"]
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, download=True, mirrors=mirrors, checksums=SUMS, progress=False)
    message = str(info.value)
    assert f"could not download {TRAIN_IMAGES}" in message
    for mirror in mirrors:
        assert mirror + TRAIN_IMAGES in message
    assert "HTTP Error 404" in message and "checksum mismatch" in message
    assert "by hand" in message and str(tmp_path / "mnist") in message and SUMS[TRAIN_IMAGES] in message
    # What was looked for where, and the ways out.
    assert f"{TRAIN_IMAGES} is in none of {tmp_path}, {tmp_path / 'mnist'}, {tmp_path / 'MNIST' / 'raw'}" in message
    assert "AUTOGRAD_LITE_DATA" in message and "root=" in message
    assert listing(tmp_path / "mnist") == [] and listing(tmp_path) == ["mnist"]


def test_existing_valid_files_are_not_downloaded_again(tmp_path, server):
    place(tmp_path, [TRAIN_IMAGES])
    ds = MNIST(tmp_path, download=True, mirrors=[server.url + "/good/"], checksums=SUMS, progress=False)
    assert ds.raw_folder == tmp_path  # files already in root: the missing one joins them there
    assert server.requests == [f"/good/{TRAIN_LABELS}"]
    MNIST(tmp_path, download=True, mirrors=[server.url + "/good/"], checksums=SUMS, progress=False)
    assert server.requests == [f"/good/{TRAIN_LABELS}"]
    assert listing(tmp_path) == sorted([TRAIN_IMAGES, TRAIN_LABELS])


def test_existing_corrupt_file_is_replaced_only_by_a_good_copy(tmp_path, server):
    place(tmp_path, [TRAIN_IMAGES, TRAIN_LABELS], {TRAIN_IMAGES: b"broken"})
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        MNIST(tmp_path, download=True, mirrors=[server.url + "/bad/"], checksums=SUMS, progress=False)
    assert (tmp_path / TRAIN_IMAGES).read_bytes() == b"broken"
    assert listing(tmp_path) == sorted([TRAIN_IMAGES, TRAIN_LABELS])
    ds = MNIST(tmp_path, download=True, mirrors=[server.url + "/good/"], checksums=SUMS, progress=False)
    assert ds.targets.tolist() == TRAIN_Y and (tmp_path / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]


# ------------------------------------------------------------- the user cache, layouts, the env var at run time
@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty user cache ($XDG_CACHE_HOME) and no $AUTOGRAD_LITE_DATA: a student's machine."""
    monkeypatch.delenv("AUTOGRAD_LITE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "autograd_lite"


def test_download_into_the_user_cache_keeps_a_folder_per_dataset(cache, server, capsys):
    mirror = [server.url + "/good/"]
    train = MNIST(download=True, mirrors=mirror, checksums=SUMS)
    test = MNIST(train=False, download=True, mirrors=mirror, checksums=SUMS)
    assert train.root == test.root == cache
    assert train.raw_folder == test.raw_folder == cache / "mnist"
    assert listing(cache) == ["mnist"] and listing(cache / "mnist") == sorted(FILES)
    assert train.targets.tolist() == TRAIN_Y and test.targets.tolist() == TEST_Y
    assert all((cache / "mnist" / name).read_bytes() == data for name, data in FILES.items())
    assert f"{TRAIN_IMAGES}:" in capsys.readouterr().err  # the progress bar
    # The next run (the next notebook) reads the cache and never asks the mirror again.
    asked = len(server.requests)
    assert MNIST(download=True, mirrors=mirror, checksums=SUMS).targets.tolist() == TRAIN_Y
    assert len(server.requests) == asked == 4


def test_every_layout_is_read_and_in_order(tmp_path):
    flat, nested, torchvision = mnist_module.folders(tmp_path)
    assert (nested, torchvision) == (tmp_path / "mnist", tmp_path / "MNIST" / "raw")
    for digit, folder in [(3, torchvision), (2, nested), (1, flat)]:  # each added one wins over those before
        place(folder, [TRAIN_IMAGES, TRAIN_LABELS], {TRAIN_LABELS: gz(idx_bytes(np.array([digit] * 5, np.uint8)))})
        ds = MNIST(tmp_path, checksums={})
        assert ds.raw_folder == folder and ds.targets.tolist() == [digit] * 5


def test_a_folder_holding_the_whole_split_wins(tmp_path, server):
    place(tmp_path / "mnist", [TEST_IMAGES, TEST_LABELS])  # a test split downloaded here earlier
    place(tmp_path / "MNIST" / "raw")                        # and all four from torchvision
    assert MNIST(tmp_path, checksums=SUMS).raw_folder == tmp_path / "MNIST" / "raw"
    assert MNIST(tmp_path, train=False, checksums=SUMS).raw_folder == tmp_path / "mnist"
    # Neither split whole anywhere: a missing file joins the first folder that has MNIST files.
    (tmp_path / "MNIST" / "raw" / TRAIN_LABELS).unlink()
    ds = MNIST(tmp_path, download=True, mirrors=[server.url + "/good/"], checksums=SUMS, progress=False)
    assert ds.raw_folder == tmp_path / "mnist" and server.requests == [f"/good/{TRAIN_IMAGES}", f"/good/{TRAIN_LABELS}"]


def test_the_env_var_set_at_run_time_takes_effect(cache, tmp_path):
    import nn.data  # noqa: F401 - imported (as in a notebook's first cell) before the variable is set

    with pytest.raises(FileNotFoundError, match=r"the user cache folder, as \$AUTOGRAD_LITE_DATA is not set"):
        MNIST(checksums=SUMS)
    other = gz(idx_bytes(np.array([7, 7, 7, 7, 7], np.uint8)))
    place(tmp_path / "a")
    place(tmp_path / "b" / "mnist", replace={TRAIN_LABELS: other})
    try:
        os.environ["AUTOGRAD_LITE_DATA"] = str(tmp_path / "a")  # as a student would, in a running kernel
        assert MNIST(checksums=SUMS).targets.tolist() == TRAIN_Y
        os.environ["AUTOGRAD_LITE_DATA"] = str(tmp_path / "b")  # a data folder of several datasets
        assert MNIST(checksums={}).targets.tolist() == [7] * 5
        os.environ["AUTOGRAD_LITE_DATA"] = str(tmp_path / "empty")
        with pytest.raises(FileNotFoundError, match=r"root .*empty: \$AUTOGRAD_LITE_DATA\)"):
            MNIST(checksums=SUMS)
    finally:
        os.environ.pop("AUTOGRAD_LITE_DATA", None)


def test_a_corrupt_download_into_the_cache_is_refused_and_leaves_nothing(cache, server):
    with pytest.raises(RuntimeError) as info:
        MNIST(download=True, mirrors=[server.url + "/bad/"], checksums=SUMS, progress=False)
    message = str(info.value)
    assert "checksum mismatch" in message and str(cache / "mnist") in message
    assert "the user cache folder, as $AUTOGRAD_LITE_DATA is not set" in message
    assert listing(cache / "mnist") == []
    assert server.requests == [f"/bad/{TRAIN_IMAGES}"]  # the first file failing stops it: nothing half-done


# ------------------------------------------------------------------- the notebooks' cell, in a fresh kernel
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MNIST_NOTEBOOKS = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if "MNIST(" in p.read_text(encoding="utf-8"))


def test_a_notebook_uses_mnist() -> None:
    assert MNIST_NOTEBOOKS, "no notebook calls MNIST(: the tests below would check nothing"


@pytest.mark.parametrize("cache_var", ["HOME", "XDG_CACHE_HOME"])
@pytest.mark.parametrize("notebook", MNIST_NOTEBOOKS, ids=[p.name for p in MNIST_NOTEBOOKS])
def test_the_notebook_cell_downloads_into_an_empty_cache(notebook, cache_var, tmp_path, server, monkeypatch):
    """The notebook's own imports and MNIST cell, in a new Jupyter kernel with an empty home or cache and no
    $AUTOGRAD_LITE_DATA: the files are downloaded from a loopback mirror into the cache (the mirror and the
    checksums replaced by the tiny files'), with a progress bar; then the variable set inside the running
    kernel is obeyed at the cell's next run."""
    pytest.importorskip("ipykernel")
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    code = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    cell = next(source for source in code if "MNIST(" in source)
    monkeypatch.delenv("AUTOGRAD_LITE_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(cache_var, str(tmp_path / "empty"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(NOTEBOOKS.parent),
                                                                   os.environ.get("PYTHONPATH")])))
    cache = tmp_path / "empty" / ("autograd_lite" if cache_var == "XDG_CACHE_HOME" else ".cache/autograd_lite")
    place(tmp_path / "local")

    mirror = f"import nn.data.mnist as m\nm.MIRRORS = ({server.url + '/good/'!r},)\nm.MD5.update({SUMS!r})"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in [
        mirror, code[0], cell,
        # What the cache holds; then it is emptied, and the variable pointed at a copy the student has.
        f"import os, shutil\nprint(sorted(os.listdir({str(cache / 'mnist')!r})))\nshutil.rmtree({str(cache)!r})\n"
        f"os.environ['AUTOGRAD_LITE_DATA'] = {str(tmp_path / 'local')!r}", cell]])
    # In the notebooks' folder, as Jupyter runs a notebook (its first cell imports notebooks/checks.py).
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()

    def text(cell, name):
        return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)

    first, cached, second = nb.cells[2:5]
    assert text(cached, "stdout") == f"{sorted(FILES)}\n"
    assert sorted(server.requests) == sorted(f"/good/{name}" for name in FILES)
    assert f"{TRAIN_IMAGES}:" in text(first, "stderr") and "IProgress" not in text(first, "stderr")
    assert f"train subset: al.Size([{len(TRAIN_Y)}, 1, 28, 28])" in text(first, "stdout")
    assert f"class counts in the subset: {np.bincount(TRAIN_Y)}" in text(first, "stdout")
    # After os.environ[...] = ... in the running kernel: the local copy, no restart, no download.
    assert text(second, "stdout") == text(first, "stdout") and text(second, "stderr") == ""
    assert len(server.requests) == len(FILES) and not cache.exists()

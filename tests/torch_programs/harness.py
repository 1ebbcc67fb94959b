"""Run one PyTorch program with the real PyTorch (recording its random draws) or through autograd_lite's
torch_compat (replaying them), and write down what happened: the losses, what it printed, any error.

    python harness.py record OUT.json DRAWS program.py [args ...]   # the real torch: writes DRAWS.npz, DRAWS.json
    python harness.py replay OUT.json DRAWS program.py [args ...]   # torch_compat: reads them

The two libraries' random numbers differ (PyTorch's mt19937/Philox against NumPy's PCG64), so the same seed
gives different initial weights, batches and dropout masks. To run a program on the same numbers in both:

- record: every random draw PyTorch makes at the Python level is stored, in order, as its final values
  (`torch.randn`, `rand`, `randint`, `randperm`, `normal`, `multinomial`, `bernoulli` and their `_like`
  forms; `Tensor.uniform_`, `normal_`, `bernoulli_`, `random_`, `exponential_`, `bernoulli`, `multinomial`,
  patched on the class, which is where `torch.nn.init` fills go). `torch.nn.functional.dropout` (ATen's, in
  C++) is replaced by the same computation in Python, `noise = empty_like(x).bernoulli_(1 - p);
  noise.div_(1 - p); x * noise` (ATen's `_dropout_impl` on CPU), so that its mask is recorded. Draws PyTorch's
  data loading makes for the seeds of its private generators (`random_()` called from torch.utils.data) are
  marked `skip`, as is the last `randperm` of an epoch of its RandomSampler, which it draws and then slices
  to nothing (`randperm(n)[:num_samples % n]`): autograd_lite's RandomSampler draws one `randperm` per epoch,
  which is what is compared.
- replay: autograd_lite's draws are made as usual (so every argument check runs), then their values are
  replaced by the recorded ones, taken in order: `al.randn`, `rand`, `randint`, `randperm`, `normal`,
  `multinomial`, `bernoulli` and `_like` forms, the `Tensor` methods above, nn.init's fills
  (`_uniform_fill`, `_normal_fill`, beneath uniform_, normal_, kaiming_*, xavier_*) and dropout's mask (nn's
  dropout draws `rand(shape) >= p`; the recorded keep mask is replayed as values 1.0 for kept and 0.0 for
  dropped). Each replay checks that the recorded draw has the same kind (normal, uniform, integers,
  permutation, categories, Bernoulli) and shape; a mismatch means the libraries draw in a different order,
  and stops the program with a ReplayError saying where.

Draws made inside PyTorch's C++ kernels are not seen by the recorder, so the programs, as the tests run
them, avoid them: nn.LSTM's dropout between layers, F.scaled_dot_product_attention's `dropout_p` (and so
nn.MultiheadAttention's and nn.TransformerEncoderLayer's attention dropout). nn.Dropout and F.dropout are fine.

Both sides record the value (and dtype) of every one-element tensor that `.backward()` is called on: the
losses, whatever the program calls them. Python's `random` and NumPy's global generator are seeded the same
in both runs, so programs that shuffle with `random.shuffle` see the same order, and PyTorch's default generator
is seeded in the record run, so that a program that does not seed it gives the same numbers each time.

torchvision cannot be installed beside the test-only PyTorch 2.13 here, so when it is missing the record run
gets a stand-in `torchvision` with just what the programs use, following torchvision's formulas:
`datasets.MNIST` reads the IDX files (gzipped or not, in `root` or `root/MNIST/raw`) and gives each image as a
28 x 28 uint8 array (torchvision gives a PIL image of those pixels); `transforms.ToTensor` turns a uint8
H x W array into `torch.from_numpy(a[None]).float().div(255)`; `transforms.Normalize` computes
`tensor.clone().sub_(mean).div_(std)` per channel; `Compose` and `Lambda` are torchvision's.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import sys
import traceback
import types
from pathlib import Path
from typing import Any

import numpy as np

FAMILIES = {"randn": "normal", "normal": "normal", "rand": "uniform", "uniform": "uniform", "randint": "integers",
            "random": "integers", "randperm": "permutation", "multinomial": "categories",
            "bernoulli": "bernoulli", "exponential": "exponential"}


class ReplayError(RuntimeError):
    """autograd_lite draws random numbers in a different order, kind or shape than PyTorch did."""


class Tee(io.TextIOBase):
    """Writes to the real stdout and keeps a copy."""

    def __init__(self, out: Any) -> None:
        self.out, self.kept = out, io.StringIO()

    def write(self, s: str) -> int:
        self.kept.write(s)
        return self.out.write(s)

    def flush(self) -> None:
        self.out.flush()


# ---------------------------------------------------------------- record: the real PyTorch


def stand_in_torchvision() -> types.ModuleType:
    """torchvision's MNIST, ToTensor, Normalize, Compose and Lambda, for the real torch (see the docstring)."""
    import torch

    def read_idx(path: Path) -> np.ndarray:
        raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
        ndim = raw[3]
        shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
        return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()

    class MNIST(torch.utils.data.Dataset):
        classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
                   "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

        def __init__(self, root: str, train: bool = True, transform: Any = None, target_transform: Any = None,
                     download: bool = False) -> None:
            self.root, self.train = root, train
            self.transform, self.target_transform = transform, target_transform
            prefix = "train" if train else "t10k"
            images, labels = (self._find(Path(root).expanduser(), f"{prefix}-{kind}-ubyte")
                              for kind in ("images-idx3", "labels-idx1"))
            self.data = torch.from_numpy(read_idx(images))
            self.targets = torch.from_numpy(read_idx(labels).astype(np.int64))

        @staticmethod
        def _find(root: Path, name: str) -> Path:
            for folder in (root, root / "MNIST" / "raw"):
                for candidate in (folder / name, folder / (name + ".gz")):
                    if candidate.is_file():
                        return candidate
            raise RuntimeError("Dataset not found. You can use download=True to download it")

        def __len__(self) -> int:
            return len(self.data)

        def __getitem__(self, index: int) -> tuple[Any, int]:
            img, target = self.data[index].numpy(), int(self.targets[index])
            if self.transform is not None:
                img = self.transform(img)
            if self.target_transform is not None:
                target = self.target_transform(target)
            return img, target

    class Compose:
        def __init__(self, transforms: list) -> None:
            self.transforms = transforms

        def __call__(self, img: Any) -> Any:
            for t in self.transforms:
                img = t(img)
            return img

    class ToTensor:
        def __call__(self, pic: np.ndarray) -> Any:
            img = torch.from_numpy((pic[:, :, None] if pic.ndim == 2 else pic).transpose((2, 0, 1)).copy())
            return img.to(dtype=torch.get_default_dtype()).div(255) if img.dtype == torch.uint8 else img

    class Normalize:
        def __init__(self, mean: Any, std: Any, inplace: bool = False) -> None:
            self.mean, self.std, self.inplace = mean, std, inplace

        def __call__(self, tensor: Any) -> Any:
            tensor = tensor if self.inplace else tensor.clone()
            mean = torch.as_tensor(self.mean, dtype=tensor.dtype).view(-1, 1, 1)
            std = torch.as_tensor(self.std, dtype=tensor.dtype).view(-1, 1, 1)
            return tensor.sub_(mean).div_(std)

    class Lambda:
        def __init__(self, lambd: Any) -> None:
            self.lambd = lambd

        def __call__(self, img: Any) -> Any:
            return self.lambd(img)

    tv = types.ModuleType("torchvision", "stand-in for torchvision (see tests/torch_programs/harness.py)")
    tv.datasets = types.ModuleType("torchvision.datasets")
    tv.transforms = types.ModuleType("torchvision.transforms")
    tv.datasets.MNIST = MNIST
    for cls in (Compose, ToTensor, Normalize, Lambda):
        setattr(tv.transforms, cls.__name__, cls)
    return tv


class Recorder:
    """The draws of the PyTorch run: `meta` (kind, shape, dtype, skip) and `arrays` (the values), in order."""

    def __init__(self) -> None:
        self.meta: list[dict] = []
        self.arrays: list[np.ndarray] = []
        self.depth = 0
        self.sampler_calls: dict[int, tuple[Any, int]] = {}

    def add(self, kind: str, result: Any, skip: bool = False) -> None:
        values = result.detach().cpu().numpy().copy()
        self.meta.append({"kind": kind, "shape": list(values.shape), "dtype": str(values.dtype), "skip": skip})
        self.arrays.append(values)

    def wrap(self, owner: Any, name: str, kind: str) -> None:
        """Replace owner.name by a version that records the values it returns (draws made inside it by other
        wrapped functions are not recorded again)."""
        original = getattr(owner, name)
        recorder = self

        def drawing(*args: Any, **kwargs: Any) -> Any:
            if recorder.depth:
                return original(*args, **kwargs)
            recorder.depth += 1
            try:
                out = original(*args, **kwargs)
            finally:
                recorder.depth -= 1
            recorder.add(kind, out, skip=recorder.skipped(name, sys._getframe(1)))
            return out

        drawing.__name__ = drawing.__qualname__ = name
        drawing.__doc__ = original.__doc__
        setattr(owner, name, drawing)

    def skipped(self, name: str, caller: Any) -> bool:
        module = caller.f_globals.get("__name__", "")
        if name == "random_" and module.startswith("torch.utils.data"):
            return True           # a seed for a private generator of the data loading
        if name == "randperm" and module == "torch.utils.data.sampler" and caller.f_code.co_name == "__iter__":
            sampler = caller.f_locals["self"]
            frame_calls = self.sampler_calls.setdefault(id(caller), (caller, 0))[1]
            self.sampler_calls[id(caller)] = (caller, frame_calls + 1)
            n = len(sampler.data_source)
            # The call after num_samples // n full permutations is sliced to [:num_samples % n].
            return frame_calls == sampler.num_samples // n and sampler.num_samples % n == 0
        return False

    def save(self, path: str) -> None:
        np.savez(path, **{f"d{i}": a for i, a in enumerate(self.arrays)})


def install_recorder() -> Recorder:
    import torch
    import torch.nn.functional as F

    rec = Recorder()
    for name, kind in [("randn", "randn"), ("rand", "rand"), ("randint", "randint"), ("randperm", "randperm"),
                       ("normal", "normal"), ("multinomial", "multinomial"), ("bernoulli", "bernoulli"),
                       ("randn_like", "randn"), ("rand_like", "rand"), ("randint_like", "randint")]:
        rec.wrap(torch, name, kind)
    for name, kind in [("uniform_", "uniform"), ("normal_", "normal"), ("bernoulli_", "bernoulli"),
                       ("random_", "random"), ("exponential_", "exponential"), ("bernoulli", "bernoulli"),
                       ("multinomial", "multinomial")]:
        rec.wrap(torch.Tensor, name, kind)

    def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
        """ATen's dropout (`_dropout_impl`, its CPU path), in Python so that the mask's draw is recorded."""
        if p < 0.0 or p > 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if not training or p == 0.0:
            return input
        if p == 1.0:
            return input.mul_(0) if inplace else input.mul(0)
        noise = torch.empty_like(input).bernoulli_(1 - p)
        noise.div_(1 - p)
        return input.mul_(noise) if inplace else input * noise

    F.dropout = dropout
    return rec


# ---------------------------------------------------------------- replay: autograd_lite


class Replayer:
    """Hands the recorded draws out in order (the skipped ones left out), checking kind and shape."""

    def __init__(self, draws_path: str, meta: list[dict]) -> None:
        self.arrays = np.load(draws_path)
        self.meta = meta
        self.queue = [i for i, m in enumerate(meta) if not m["skip"]]
        self.pos = 0
        self.depth = 0
        self.in_dropout = 0

    def take(self, kind: str, shape: tuple, what: str) -> np.ndarray:
        n = self.pos
        if n >= len(self.queue):
            raise ReplayError(f"autograd_lite draws more random numbers than PyTorch did: its draw #{n} ({what}, "
                              f"{kind} of shape {tuple(shape)}); PyTorch made {len(self.queue)} draws")
        i = self.queue[n]
        m = self.meta[i]
        if FAMILIES[m["kind"]] != FAMILIES[kind] or tuple(m["shape"]) != tuple(shape):
            raise ReplayError(f"draw #{n}: PyTorch drew {m['kind']} of shape {tuple(m['shape'])}, autograd_lite "
                              f"draws {what} ({kind}) of shape {tuple(shape)}: the libraries draw in a different "
                              f"order")
        self.pos += 1
        return self.arrays[f"d{i}"]

    @staticmethod
    def put(tensor: Any, values: np.ndarray) -> None:
        tensor.array[...] = values.astype(tensor.array.dtype)

    def wrap(self, owner: Any, name: str, kind: str, target: Any, label: str) -> None:
        """Replace owner.name by a version whose draws are replaced by recorded values; `target(args, out)`
        is the tensor whose values are the draw."""
        original = getattr(owner, name)
        replayer = self

        def drawing(*args: Any, **kwargs: Any) -> Any:
            if replayer.depth:
                return original(*args, **kwargs)
            replayer.depth += 1
            try:
                out = original(*args, **kwargs)
            finally:
                replayer.depth -= 1
            tensor = target(args, out)
            if kind == "rand" and replayer.in_dropout:
                keep = replayer.take("bernoulli", tensor.shape, "the mask of nn.functional.dropout")
                replayer.put(tensor, np.where(keep != 0, 1.0, 0.0))    # drawn < p is dropped: 0.0 < p <= 1.0
            else:
                replayer.put(tensor, replayer.take(kind, tensor.shape, label))
            return out

        drawing.__name__ = drawing.__qualname__ = name
        drawing.__doc__ = original.__doc__
        setattr(owner, name, drawing)


def install_replayer(draws_path: str, meta: list[dict]) -> Replayer:
    import autograd_lite as al
    import nn
    import nn.functional as F
    import nn.init

    rep = Replayer(draws_path, meta)

    def result(args: Any, out: Any) -> Any:
        return out

    def first_arg(args: Any, out: Any) -> Any:
        return args[0]

    for name, kind in [("randn", "randn"), ("rand", "rand"), ("randint", "randint"), ("randperm", "randperm"),
                       ("normal", "normal"), ("multinomial", "multinomial"), ("bernoulli", "bernoulli"),
                       ("randn_like", "randn"), ("rand_like", "rand"), ("randint_like", "randint")]:
        if hasattr(al, name):
            rep.wrap(al, name, kind, result, f"al.{name}")
    for name, kind in [("uniform_", "uniform"), ("normal_", "normal"), ("bernoulli_", "bernoulli"),
                       ("random_", "random"), ("exponential_", "exponential")]:
        if hasattr(al.Tensor, name):
            rep.wrap(al.Tensor, name, kind, first_arg, f"Tensor.{name}")
    for name, kind in [("bernoulli", "bernoulli"), ("multinomial", "multinomial")]:
        if hasattr(al.Tensor, name):
            rep.wrap(al.Tensor, name, kind, result, f"Tensor.{name}")
    rep.wrap(nn.init, "_uniform_fill", "uniform", first_arg, "nn.init's uniform fill")
    rep.wrap(nn.init, "_normal_fill", "normal", first_arg, "nn.init's normal fill")

    original_dropout = F.dropout

    def dropout(*args: Any, **kwargs: Any) -> Any:
        rep.in_dropout += 1
        try:
            return original_dropout(*args, **kwargs)
        finally:
            rep.in_dropout -= 1

    dropout.__doc__ = original_dropout.__doc__
    F.dropout = dropout
    return rep


# ---------------------------------------------------------------- both


def record_losses(tensor_class: Any, losses: list) -> None:
    original = tensor_class.backward

    def backward(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.numel() == 1:
            losses.append([float(self.detach()), str(self.dtype).rpartition(".")[2]])
        return original(self, *args, **kwargs)

    backward.__doc__ = original.__doc__
    tensor_class.backward = backward


def main(argv: list[str]) -> int:
    mode, out_path, draws_path, script, *args = argv
    random.seed(0)
    np.random.seed(0)
    report: dict[str, Any] = {"mode": mode, "losses": [], "error": None}
    program = str(Path(script).resolve())
    tee = Tee(sys.stdout)
    if mode == "record":
        try:
            import torchvision  # noqa: F401
        except ImportError:
            sys.modules["torchvision"] = tv = stand_in_torchvision()
            sys.modules["torchvision.datasets"], sys.modules["torchvision.transforms"] = tv.datasets, tv.transforms
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)             # programs that draw without seeding draw the same each time
        rec = install_recorder()
        record_losses(torch.Tensor, report["losses"])
        import runpy

        def run() -> None:
            sys.argv = [program, *args]
            sys.path.insert(0, os.path.dirname(program))
            runpy.run_path(program, run_name="__main__")
    else:
        import autograd_lite as al
        from autograd_lite import torch_compat

        meta = json.loads(Path(draws_path + ".json").read_text())
        rep = install_replayer(draws_path + ".npz", meta)
        record_losses(al.Tensor, report["losses"])

        def run() -> None:
            torch_compat.run(program, args)

    sys.stdout = tee
    try:
        run()
    except BaseException as e:  # noqa: BLE001 - anything the program raises (SystemExit too) is the result
        if not (isinstance(e, SystemExit) and e.code in (None, 0)):
            report["error"] = "".join(traceback.format_exception(e))
    finally:
        sys.stdout = tee.out
    report["stdout"] = tee.kept.getvalue()
    if mode == "record":
        rec.save(draws_path + ".npz")
        Path(draws_path + ".json").write_text(json.dumps(rec.meta))
        report["draws"] = len(rec.meta)
    else:
        report["draws_replayed"] = rep.pos
        report["draws_recorded"] = len(rep.queue)
    Path(out_path).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

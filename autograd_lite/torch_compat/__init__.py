"""PyTorch programs on autograd_lite: `torch`, its submodules and a `torchvision` subset, served by name.

Three ways in, all giving the same namespaces:
  - `python -m autograd_lite.torch_compat script.py [args]` runs a PyTorch script unchanged;
  - `autograd_lite.torch_compat.install()`, in a notebook or at the top of a program, before `import torch`;
  - `import autograd_lite.torch_compat as torch`, without touching `import torch` anywhere else.

This layer only maps names: `torch.tensor` is `al.tensor`, `torch.nn` is `nn`, `torch.nn.functional` is
`nn.functional`, `torch.optim` is `nn.optim`, `torch.utils.data` is `nn.data`, `torch.save` is `nn.save`,
`torchvision.transforms` is `nn.data.transforms`, and so on; the features live in autograd_lite and nn under
PyTorch's names, where you reach them directly too. A name that is not here raises `NotAvailableError` (an
AttributeError, so `hasattr` says False) naming the feature, instead of failing somewhere deep inside; a
submodule that is not here (`import torch.onnx`) imports, and says so when one of its names is used.
While installed, shapes and dtypes in a tensor's repr print as PyTorch's (`torch.Size([2, 3])`,
`dtype=torch.float64`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence
from typing import Any

import autograd_lite as al
import nn as nn_package
from autograd_lite import functional as _al_functional
from autograd_lite import printing
from autograd_lite.size import Size

README_SECTION = "the README's section 'Running PyTorch code'"

# The PyTorch release whose names and semantics these follow (and that the tests compare with); code that
# checks `torch.__version__` sees it, marked as ours.
__version__ = "2.13.0+autograd.lite." + al.__version__


class NotAvailableError(AttributeError):
    """A PyTorch name that autograd_lite does not provide."""


def _not_available(fullname: str) -> NotAvailableError:
    return NotAvailableError(f"{fullname} is not available in autograd_lite, which runs PyTorch programs on its NumPy "
                        f"engine (CPU only); see {README_SECTION} for what is")


class Namespace(types.ModuleType):
    """One of PyTorch's modules, served from our modules (`sources`, searched in order; their submodules
    are not exported, since ours are not PyTorch's) and the names given (`names`). Any other name raises
    NotAvailableError."""

    def __init__(self, name: str, sources: Sequence[types.ModuleType] = (), names: dict[str, Any] | None = None,
                 doc: str | None = None) -> None:
        super().__init__(name, doc)
        self.__dict__.update(names or {})
        self.__dict__["_sources"] = tuple(sources)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)          # protocol probes (__path__, __file__, ...): plain, as for modules
        for source in self._sources:
            value = getattr(source, attr, _MISSING)
            if value is not _MISSING and not isinstance(value, types.ModuleType):
                return value
        raise _not_available(f"{self.__name__}.{attr}")

    def __dir__(self) -> list[str]:
        names = set(self.__dict__)
        for source in self._sources:
            names.update(n for n in dir(source) if not n.startswith("_")
                         and not isinstance(getattr(source, n, None), types.ModuleType))
        return sorted(names)


_MISSING = object()


# ---------------------------------------------------------------- small things PyTorch programs call


def compile(model: Any = None, **options: Any) -> Any:  # noqa: A001 - PyTorch's name
    """`torch.compile`: an optimization that keeps results; here the model (or function) itself."""
    return model if model is not None else (lambda m: m)


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted ("highest", "high", "medium"): NumPy's float32 products are always full float32 precision."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got {precision!r}")


def get_float32_matmul_precision() -> str:
    return "highest"


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: every op here is deterministic already."""


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, al.Tensor)


def numel(input: al.Tensor) -> int:
    return input.numel()


# ---------------------------------------------------------------- the namespaces

functional = Namespace("torch.nn.functional", [nn_package.functional])
init = Namespace("torch.nn.init", [nn_package.init])
utils_nn = Namespace("torch.nn.utils", [nn_package.utils])
nn = Namespace("torch.nn", [nn_package], {"functional": functional, "init": init, "utils": utils_nn})
lr_scheduler = Namespace("torch.optim.lr_scheduler", [nn_package.optim.lr_scheduler])
optim = Namespace("torch.optim", [nn_package.optim], {"lr_scheduler": lr_scheduler})
data = Namespace("torch.utils.data", [nn_package.data])
utils = Namespace("torch.utils", [], {"data": data})
autograd = Namespace("torch.autograd", [al.autograd, _al_functional],
                     {"functional": Namespace("torch.autograd.functional", [_al_functional]),
                      "gradcheck": al.gradcheck, "gradgradcheck": al.gradgradcheck,
                      "detect_anomaly": al.detect_anomaly, "set_detect_anomaly": al.set_detect_anomaly,
                      "no_grad": al.no_grad, "enable_grad": al.enable_grad, "set_grad_enabled": al.set_grad_enabled,
                      "inference_mode": al.inference_mode})
cuda = Namespace("torch.cuda", [al.cuda])
backends = al.backends
accelerator = Namespace("torch.accelerator", [al.accelerator])
random = Namespace("torch.random", [al.random])
transforms = Namespace("torchvision.transforms", [nn_package.data.transforms])


class _TorchvisionMNIST(nn_package.data.MNIST):
    """torchvision.datasets.MNIST: nn.data.MNIST, downloading where torchvision does (root/MNIST/raw), so that the
    real torchvision finds the files afterwards too."""

    new_files_layout = 2


_TorchvisionMNIST.__name__ = _TorchvisionMNIST.__qualname__ = "MNIST"
datasets = Namespace("torchvision.datasets", [], {"MNIST": _TorchvisionMNIST})
torchvision = Namespace("torchvision", [], {"transforms": transforms, "datasets": datasets,
                                            "__version__": "0.28.0+autograd.lite." + al.__version__})

save = nn_package.save
load = nn_package.load


def __getattr__(attr: str) -> Any:
    """The rest of `torch`: autograd_lite's own names (its functions, dtypes, Tensor, ...)."""
    if not attr.startswith("__"):
        value = getattr(al, attr, _MISSING)
        if value is not _MISSING and not isinstance(value, types.ModuleType):
            return value
    raise _not_available(f"torch.{attr}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {n for n in dir(al) if not n.startswith("_")})


# ---------------------------------------------------------------- installing: `import torch` finds these

_SUBMODULES = {"torch.nn": nn, "torch.nn.functional": functional, "torch.nn.init": init,
               "torch.nn.utils": utils_nn, "torch.optim": optim, "torch.optim.lr_scheduler": lr_scheduler,
               "torch.utils": utils, "torch.utils.data": data, "torch.autograd": autograd, "torch.cuda": cuda,
               "torch.backends": backends, "torch.accelerator": accelerator, "torch.random": random,
               "torchvision": torchvision, "torchvision.transforms": transforms, "torchvision.datasets": datasets}
_SHOWN_AS = Size.shown_as


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of `torch.<anything>` and `torchvision.<anything>` that are not served get an empty namespace,
    so that `import torch.onnx` works and `torch.onnx.export(...)` says it is not available."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] in ("torch", "torchvision"):
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _SUBMODULES.get(spec.name) or Namespace(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        parent, _, child = module.__name__.rpartition(".")
        if parent in sys.modules and child not in vars(sys.modules[parent]):
            setattr(sys.modules[parent], child, module)


def install() -> types.ModuleType:
    """Make `import torch` (and `torch.nn`, ..., `torchvision`) give these namespaces in this process, and
    return the `torch` module. Refuses when the real PyTorch is already imported: the program would mix two
    libraries' tensors (restart the kernel, then call install() first)."""
    this = sys.modules[__name__]
    real = sys.modules.get("torch")
    if real is not None and real is not this:
        raise RuntimeError("install: the real PyTorch is already imported in this process, so `import torch` "
                           "cannot be served by autograd_lite; call autograd_lite.torch_compat.install() before "
                           "anything imports torch (in a notebook: restart the kernel first)")
    sys.modules["torch"] = this
    for name, module in _SUBMODULES.items():
        sys.modules[name] = module
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    Size.shown_as, printing.dtype_prefix = "torch.Size", "torch."
    return this


def uninstall() -> None:
    """Undo install(): `import torch` finds the real PyTorch again (if it is installed)."""
    this = sys.modules[__name__]
    for name in [n for n in sys.modules if n.split(".")[0] in ("torch", "torchvision")]:
        module = sys.modules[name]
        if module is this or isinstance(module, Namespace) or module is _SUBMODULES.get(name):
            del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]
    Size.shown_as, printing.dtype_prefix = _SHOWN_AS, ""


def run(path: str, argv: Sequence[str] = (), run_name: str = "__main__") -> dict[str, Any]:
    """Run the PyTorch script at `path` with `sys.argv = [path, *argv]`, as `python path ...` would, with
    torch served by autograd_lite (installed for this process); return its globals."""
    import os
    import runpy

    install()
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        return runpy.run_path(path, run_name=run_name)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path


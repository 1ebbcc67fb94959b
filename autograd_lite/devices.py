"""PyTorch's device vocabulary, for a library that runs on the CPU only: `device`, `cuda`, `backends`, `accelerator`.

PyTorch programs open with boilerplate such as

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device); x = x.to(device)

It runs here unchanged: there is no accelerator, so every test of one says no and the program takes the CPU.
A device object for a GPU can be made (PyTorch allows it too, without a GPU), but putting a tensor or a module on
it raises an error that says this library runs on the CPU only.
"""

from __future__ import annotations

import re
import types
from typing import Any

_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "mtia", "xla", "privateuseone")


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives: `device("cpu")`, `device("cuda", 0)`, `device("cuda:1")`, as `torch.device`."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002 - PyTorch's names
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError("device: a device index alone means an accelerator, and autograd_lite runs on the "
                               "CPU only; use device('cpu')")
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {_type_name(type)}")
        match = re.fullmatch(r"([a-z_]+)(?::(\d+))?", type)
        if match is None or match.group(1) not in _KNOWN:
            raise RuntimeError(f"device: expected one of {', '.join(_KNOWN)}, optionally with ':index', got {type!r}")
        if match.group(2) is not None:
            if index is not None:
                raise RuntimeError(f"device: the index is given twice: in {type!r} and as index={index}")
            index = int(match.group(2))
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise RuntimeError(f"device: the index must be a non-negative int, got {index!r}")
        self.type, self.index = match.group(1), index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r})" if self.index is None else \
            f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def _type_name(value: Any) -> str:      # (in device.__init__, `type` is PyTorch's argument name)
    return type(value).__name__


CPU = device("cpu")


def check_device(where: str, value: Any) -> None:
    """Accept None, the CPU (`"cpu"`, `"cpu:0"`, `device("cpu")`); refuse any other device clearly."""
    if value is None:
        return
    d = value if isinstance(value, device) else device(value) if isinstance(value, str) else None
    if d is None:
        raise TypeError(f"{where}: expected a device ('cpu' or al.device('cpu')), got {_type_name(value)}")
    if d.type != "cpu":
        raise RuntimeError(f"{where}: autograd_lite runs on the CPU only (NumPy); device {str(d)!r} is not "
                           f"available (al.cuda.is_available() is False)")


def set_default_device(value: Any) -> None:
    """PyTorch's `set_default_device`: the CPU (or None, the CPU again) is accepted; any other device raises."""
    check_device("set_default_device", value)


def get_default_device() -> device:
    return CPU


def _no(*args: Any, **kwargs: Any) -> bool:
    return False


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def _no_accelerator(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{what}: autograd_lite runs on the CPU only; there is no accelerator "
                           f"(check al.cuda.is_available() first, as PyTorch programs do)")
    return refuse


# torch.cuda: no GPU here. Seeding it is a no-op (as in PyTorch without a GPU), so seeding code runs.
cuda = types.SimpleNamespace(
    is_available=_no, device_count=_zero, is_initialized=_no,
    manual_seed=_nothing, manual_seed_all=_nothing, seed=_nothing, seed_all=_nothing, empty_cache=_nothing,
    current_device=_no_accelerator("cuda.current_device"), get_device_name=_no_accelerator("cuda.get_device_name"),
    set_device=_no_accelerator("cuda.set_device"), synchronize=_no_accelerator("cuda.synchronize"),
)

# torch.backends: no MPS; cudnn's switches are accepted and change nothing (there is no cuDNN).
backends = types.SimpleNamespace(
    mps=types.SimpleNamespace(is_available=_no, is_built=_no),
    cuda=types.SimpleNamespace(is_built=_no),
    cudnn=types.SimpleNamespace(is_available=_no, enabled=True, benchmark=False, deterministic=False),
)

# torch.accelerator (PyTorch 2.6 and later): none.
accelerator = types.SimpleNamespace(
    is_available=_no, device_count=_zero, current_accelerator=_nothing,
)

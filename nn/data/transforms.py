"""Dataset transforms, after `torchvision.transforms`: `Compose`, `ToTensor`, `Normalize`, `Lambda`.

Each is a callable object, passed as a dataset's `transform=` and applied to one sample at a time. They work
on NumPy images and Tensors (and on PIL images when Pillow is installed, which is not a dependency).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_lite as al


class Compose:
    """Apply `transforms` in order: `Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])`."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, sample: Any) -> Any:
        for t in self.transforms:
            sample = t(sample)
        return sample

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """An image as a float32 Tensor of shape (C, H, W): from a NumPy array of shape (H, W) or (H, W, C), or a
    PIL image; uint8 pixels are scaled to [0, 1] (divided by 255), as torchvision's. A Tensor that is already
    a (C, H, W) image passes through unchanged: `nn.data.MNIST` gives its images so, scaled as ToTensor scales
    them, so torchvision's `Compose([ToTensor(), ...])` gives the same numbers here."""

    def __call__(self, pic: Any) -> al.Tensor:
        if isinstance(pic, al.Tensor):
            if pic.ndim != 3:
                raise TypeError(f"ToTensor: a Tensor passes through only as a (C, H, W) image, got shape "
                                f"{tuple(pic.shape)}")
            return pic
        if not isinstance(pic, np.ndarray):
            if type(pic).__module__.startswith("PIL."):
                pic = np.asarray(pic)
            else:
                raise TypeError(f"ToTensor: pic should be a NumPy array or a PIL image, got {type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional (H, W) or (H, W, C), got {pic.ndim} dims")
        chw = (pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1)).copy()
        if chw.dtype == np.uint8:
            out = np.empty(chw.shape, dtype=np.float32)
            np.divide(chw, np.float32(255), out=out, dtype=np.float32)   # as torchvision: float, then / 255
            return al.from_numpy(out)
        return al.from_numpy(chw)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """`(x - mean) / std` per channel of a (..., C, H, W) float Tensor (torchvision's `Normalize`)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: al.Tensor) -> al.Tensor:
        if not isinstance(tensor, al.Tensor) or tensor.dtype.kind != "f":
            got = tensor.dtype if isinstance(tensor, al.Tensor) else type(tensor).__name__
            raise TypeError(f"Normalize: expected a float Tensor image (after ToTensor), got {got}")
        if tensor.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W), got shape "
                             f"{tuple(tensor.shape)}")
        mean = np.asarray(self.mean, dtype=tensor.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=tensor.dtype).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {tensor.dtype}, leading to "
                             f"division by zero")
        # torchvision subtracts, then divides (not a multiply by 1/std): the same rounding as its results.
        out = (tensor.array - mean) / std
        if self.inplace:
            tensor.array[...] = out
            return tensor
        return al.from_numpy(out.astype(tensor.dtype, copy=False))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """A function of yours as a transform: `Lambda(lambda x: x.view(-1))`."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, sample: Any) -> Any:
        return self.lambd(sample)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

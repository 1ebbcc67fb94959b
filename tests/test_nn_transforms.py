"""nn.data.transforms: torchvision's Compose, ToTensor, Normalize and Lambda, with torchvision's numbers.

torchvision itself is not installed for the tests; its arithmetic is PyTorch's (ToTensor: `img.float().div(255)`
in (C, H, W); Normalize: `sub_(mean).div_(std)` per channel), which is what the test-only PyTorch checks here.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
from nn.data import MNIST, transforms


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


def test_to_tensor_scales_uint8_images_to_chw_floats_as_torchvision():
    torch = _torch()
    rng = np.random.default_rng(0)
    for image in (rng.integers(0, 256, (5, 7), dtype=np.uint8), rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)):
        ours = transforms.ToTensor()(image)
        hwc = image[:, :, None] if image.ndim == 2 else image
        theirs = torch.from_numpy(hwc.transpose(2, 0, 1).copy()).float().div(255)
        assert ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.array, theirs.numpy())
    floats = rng.random((4, 4, 2))                      # not uint8: converted, not scaled
    np.testing.assert_array_equal(transforms.ToTensor()(floats).array, floats.transpose(2, 0, 1))


def test_normalize_is_per_channel_subtract_then_divide_as_torchvision():
    torch = _torch()
    x = np.random.default_rng(1).random((3, 4, 5)).astype(np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    ours = transforms.Normalize(mean, std)(al.tensor(x))
    theirs = torch.tensor(x).sub_(torch.tensor(mean).view(-1, 1, 1)).div_(torch.tensor(std).view(-1, 1, 1))
    np.testing.assert_array_equal(ours.array, theirs.numpy())
    t = al.tensor(x)
    assert transforms.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_array_equal(t.array, theirs.numpy())


def test_compose_and_lambda_chain_like_a_torchvision_pipeline():
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,)),
                                   transforms.Lambda(lambda x: x.view(-1))])
    image = np.arange(6, dtype=np.uint8).reshape(2, 3) * 50
    out = pipeline(image)
    expected = ((image.astype(np.float32) / np.float32(255)) - np.float32(0.5)) / np.float32(0.25)
    np.testing.assert_array_equal(out.array, expected.reshape(-1))
    assert "ToTensor()" in repr(pipeline) and "Normalize(mean=(0.5,), std=(0.25,))" in repr(pipeline)


def test_mnist_with_torchvisions_transforms_gives_torchvisions_numbers(tmp_path):
    # MNIST's items are already ToTensor's (1, 28, 28) floats; ToTensor passes them through, so the usual
    # torchvision pipeline gives the same numbers as on the raw uint8 pixels.
    import gzip
    import struct

    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    labels = np.array([4, 0, 9], dtype=np.uint8)
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 2051, 3, 28, 28) + pixels.tobytes())
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 2049, 3) + labels.tobytes())
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = MNIST(tmp_path, train=True, transform=pipeline, checksums={})
    image, label = ds[2]
    np.testing.assert_array_equal(image.array, pipeline(pixels[2]).array)
    assert label == 9 and image.shape == (1, 28, 28)
    assert ds.data.dtype == np.uint8 and ds.targets.dtype == np.int64 and ds.data.shape == (3, 28, 28)


def test_transforms_refuse_what_they_cannot_take():
    with pytest.raises(TypeError, match="ToTensor: pic should be a NumPy array or a PIL image, got list"):
        transforms.ToTensor()([[1, 2]])
    with pytest.raises(TypeError, match="ToTensor: a Tensor passes through only as a \\(C, H, W\\) image"):
        transforms.ToTensor()(al.zeros(4))
    with pytest.raises(TypeError, match="Normalize: expected a float Tensor image"):
        transforms.Normalize((0.5,), (0.5,))(np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize((0.5,), (0.0,))(al.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="Lambda: argument should be callable"):
        transforms.Lambda(3)

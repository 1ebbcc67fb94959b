"""nn.data: datasets and the DataLoader that batches them, after `torch.utils.data` (and transforms, after
`torchvision.transforms`)."""

from __future__ import annotations

from . import transforms
from .dataloader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    WeightedRandomSampler,
    default_collate,
)
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .mnist import MNIST
from .synthetic import make_moons, make_piecewise_linear, make_spirals

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "MNIST", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "TensorDataset", "WeightedRandomSampler", "default_collate", "make_moons",
           "make_piecewise_linear", "make_spirals", "random_split", "transforms"]

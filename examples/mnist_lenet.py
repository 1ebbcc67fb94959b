"""Train LeNet-5 (two 5x5 convolutions with max pooling, then 120-84-10) on MNIST: about 99% test accuracy in 3 epochs.

    python examples/mnist_lenet.py [--data DIR] [--epochs 3] [--batch-size 64] [--lr 0.002] [--seed 0]
                                   [--limit N] [--download]

LeNet-5 as LeCun et al. (1998) drew it: conv 5x5 -> 6 maps, pool, conv 5x5 -> 16 maps, pool, then fully
connected layers of 120, 84 and 10 units, with the modern choices of ReLU and max pooling (they train faster
than tanh and average pooling) and padding=2 on the first convolution, so that 28x28 digits give the 28x28
maps the original got from 32x32 inputs. The digits are read from the original IDX gzip files by
nn.data.MNIST: from --data, else from $AUTOGRAD_LITE_DATA, else from the user cache folder
(~/.cache/autograd_lite); --download fetches any that are missing. Each epoch shows a progress bar over the
batches, then prints the mean training loss, the test accuracy and how long the epoch took; the last line
is the final test accuracy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the shared training loop sits beside this file
from mnist_training import parse_args, train  # noqa: E402


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),    # 6 x 28 x 28 -> 6 x 14 x 14
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),              # 16 x 10 x 10 -> 16 x 5 x 5
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def main(argv: list[str] | None = None) -> float:
    return train(build_model, parse_args(__doc__.splitlines()[0], argv), flatten=False)


if __name__ == "__main__":
    main()

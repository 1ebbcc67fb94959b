"""`python -m autograd_lite.torch_compat script.py [args]`: run a PyTorch script on autograd_lite, unchanged."""

from __future__ import annotations

import sys

from . import run


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m autograd_lite.torch_compat script.py [args ...]\n\nRuns a PyTorch script with "
              "`import torch` (and torch.nn, torch.optim, torch.utils.data, torchvision's MNIST and transforms) "
              "served by autograd_lite and nn.", file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    run(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The exceptions tensor ops raise for bad shapes and dtypes: Python's classes and PyTorch's at once.

Python's convention is ValueError for a bad shape and TypeError for a bad dtype; PyTorch raises
RuntimeError for both. Each class here is both, so `except ValueError` and `except RuntimeError`
(in code ported from PyTorch) catch the same mistakes.
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """Shapes (or other arguments) that a tensor op cannot work with."""


class DTypeError(TypeError, RuntimeError):
    """A dtype that a tensor op cannot work with, or two that it cannot combine."""

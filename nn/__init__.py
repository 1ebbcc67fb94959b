"""nn: neural-network building blocks on top of autograd_lite's public API (modules, layers, losses,
optimizers, data). It grows in the next issue; for now it exists so that the package layout is final."""

from __future__ import annotations

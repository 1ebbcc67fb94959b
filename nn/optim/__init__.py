"""nn.optim: optimizers that update parameters from their gradients, and learning-rate schedulers.

The names, defaults and update formulas are torch.optim's (its single-tensor `foreach=False` code paths):

    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=10)
    for epoch in range(n):
        for x, y in data:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        sched.step()

Where things live: `optimizer.py` (the base class: groups, state, state_dict), one file per algorithm
(`sgd.py`, `adadelta.py`, `adagrad.py`, `rmsprop.py`, `adam.py` with AdamW, `nadam.py`, `radam.py`, `lbfgs.py`),
and `lr_scheduler.py`.
"""

from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adadelta", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "LBFGS",
           "lr_scheduler"]

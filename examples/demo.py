"""The demo: a two-layer network learns a 3-class spiral, written define-by-run with autograd_lite alone.

Run it with `python examples/demo.py` (options: --epochs, --hidden, --lr, --seed). It prints the loss and
accuracy as it trains and ends with the final training accuracy. Everything is generated here: no data,
no internet.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import autograd_lite as al
from nn.data import make_spirals


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    al.manual_seed(args.seed)
    x_np, y_np = make_spirals(100, 3, seed=args.seed)
    x = al.tensor(x_np)
    targets = y_np[:, None]

    # He initialisation for the ReLU layer, small weights for the output layer.
    w1 = (al.randn(2, args.hidden) * np.sqrt(2.0 / 2)).requires_grad_()
    b1 = al.zeros(args.hidden, requires_grad=True)
    w2 = (al.randn(args.hidden, 3) * 0.01).requires_grad_()
    b2 = al.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        hidden = (x @ w1 + b1).relu()                      # the graph is recorded as this runs
        logits = hidden @ w2 + b2
        loss = -logits.log_softmax(dim=1).gather(1, targets).mean()
        loss.backward()                                     # ... and walked backwards here
        with al.no_grad():
            for p in params:
                p -= args.lr * p.grad                       # plain gradient descent
                p.grad = None
        if epoch == 1 or epoch % 100 == 0 or epoch == args.epochs:
            acc = float((logits.argmax(dim=1).numpy() == y_np).mean())
            print(f"epoch {epoch:4d}/{args.epochs}  loss {loss.item():.4f}  accuracy {acc:6.1%}", flush=True)

    with al.no_grad():
        logits = (x @ w1 + b1).relu() @ w2 + b2
    accuracy = float((logits.argmax(dim=1).numpy() == y_np).mean())
    print(f"final training accuracy on {len(y_np)} spiral points: {accuracy:.1%} "
          f"({time.perf_counter() - start:.1f} s)")
    return accuracy


if __name__ == "__main__":
    main()

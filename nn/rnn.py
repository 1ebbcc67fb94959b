"""Recurrent layers: RNNCell, LSTMCell, GRUCell and the multi-layer RNN, LSTM and GRU over sequences.

Parameter names, shapes, gate order (LSTM: i, f, g, o; GRU: r, z, n) and initialisation (uniform in
+-1/sqrt(hidden_size)) are PyTorch's, so PyTorch's weights load and give the same outputs. The sequence
layers unroll the cell define-by-run: the graph of a sequence is the graph of every step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from . import functional as F
from . import init
from .module import Module, check_device
from .parameter import Parameter

Tensor = al.Tensor
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# The steps take `xw`, the input's share of the gates (x W_ih^T + b_ih), already computed: a layer
# computes it for all time steps in one product before its loop (as PyTorch's CPU kernels do), since
# it does not depend on the hidden state; a cell computes it for its one step.


def _rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, nonlinearity: str) -> Tensor:
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    pre = xw + F.linear(h, w_hh, b_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


# The gates carry the names PyTorch's documentation gives them, so that a drawing of a step
# (viz.draw_graph) reads as the equations do: a name is one attribute store, nothing next to the ops.
# What a step returns stays unnamed: a name shows when the tensor is printed.


def _lstm_step(xw: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Tensor]:
    """Gates i, f, g, o from one product each of x and h; c' = f c + i g, h' = o tanh(c')."""
    gates = xw + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    i.name, f.name, g.name, o.name = "i", "f", "g", "o"
    c = f * c + i * g
    return o * c.tanh(), c


def _gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """r and z gate; the candidate n sees the hidden state through r (PyTorch's formulation):
    n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h."""
    gi_r, gi_z, gi_n = xw.chunk(3, dim=-1)
    gh_r, gh_z, gh_n = F.linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r = (gi_r + gh_r).sigmoid()
    z = (gi_z + gh_z).sigmoid()
    r.name, z.name = "r", "z"
    n = (gi_n + r * gh_n).tanh()
    n.name = "n"
    return (1 - z) * n + z * h


def _check_input(name: str, x: Tensor, size: int, batched_dims: int) -> bool:
    """Whether the input is batched; a clear error for wrong dims or feature size."""
    if x.ndim not in (batched_dims - 1, batched_dims):
        raise ValueError(f"{name}: expected a {batched_dims}-D (batched) or {batched_dims - 1}-D (unbatched) "
                         f"input, got shape {tuple(x.shape)}")
    if x.shape[-1] != size:
        raise ValueError(f"{name}: input has {x.shape[-1]} features in its last dim, expected "
                         f"input_size={size} (shape {tuple(x.shape)})")
    return x.ndim == batched_dims


class _CellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int, dtype: Any) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = np.dtype(dtype or np.float32)
        self.weight_ih = Parameter(al.empty(gates * hidden_size, input_size, dtype=dt))
        self.weight_hh = Parameter(al.empty(gates * hidden_size, hidden_size, dtype=dt))
        if bias:
            self.bias_ih = Parameter(al.empty(gates * hidden_size, dtype=dt))
            self.bias_hh = Parameter(al.empty(gates * hidden_size, dtype=dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _zeros(self, x: Tensor, batched: bool) -> Tensor:
        shape = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        return al.zeros(*shape, dtype=x.dtype)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One step of an Elman RNN: h' = tanh (or relu) of x W_ih^T + b_ih + h W_hh^T + b_hh."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or 'relu')")
        super().__init__(input_size, hidden_size, bias, 1, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = _check_input("RNNCell", input, self.input_size, 2)
        h = self._zeros(input, batched) if hx is None else hx
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        return _rnn_step(xw, h, self.weight_hh, self.bias_hh, self.nonlinearity)


class LSTMCell(_CellBase):
    """One LSTM step; returns (h', c'). Gate order i, f, g, o, as in PyTorch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        super().__init__(input_size, hidden_size, bias, 4, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        batched = _check_input("LSTMCell", input, self.input_size, 2)
        if hx is None:
            hx = (self._zeros(input, batched), self._zeros(input, batched))
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        return _lstm_step(xw, hx[0], hx[1], self.weight_hh, self.bias_hh)


class GRUCell(_CellBase):
    """One GRU step. Gate order r, z, n, as in PyTorch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        super().__init__(input_size, hidden_size, bias, 3, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = _check_input("GRUCell", input, self.input_size, 2)
        h = self._zeros(input, batched) if hx is None else hx
        return _gru_step(F.linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU: parameters `weight_ih_l{k}[_reverse]` etc. in PyTorch's order."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be at least 1, got {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1], got {dropout}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        dirs = 2 if bidirectional else 1
        gates = _GATES[mode]
        dt = np.dtype(dtype or np.float32)
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                setattr(self, "weight_ih" + sfx, Parameter(al.empty(gates * hidden_size, layer_in, dtype=dt)))
                setattr(self, "weight_hh" + sfx, Parameter(al.empty(gates * hidden_size, hidden_size, dtype=dt)))
                if bias:
                    setattr(self, "bias_ih" + sfx, Parameter(al.empty(gates * hidden_size, dtype=dt)))
                    setattr(self, "bias_hh" + sfx, Parameter(al.empty(gates * hidden_size, dtype=dt)))
        self.reset_parameters()

    def flatten_parameters(self) -> None:
        """PyTorch's cuDNN housekeeping (its weights in one block of GPU memory): nothing to do on the CPU."""

    def reset_parameters(self) -> None:
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _weights(self, layer: int, direction: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return get("weight_ih" + sfx), get("weight_hh" + sfx), get("bias_ih" + sfx), get("bias_hh" + sfx)

    def _step(self, xw: Tensor, state: Any, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Any]:
        if self.mode == "LSTM":
            # The fused cell: one op where LSTMCell shows about a dozen; b_hh is already in xw (added
            # once for all steps), so the step's own product needs no bias.
            h, c = al.fused_lstm_cell(xw, F.linear(state[0], w_hh), state[1])
            return h, (h, c)
        if self.mode == "GRU":
            h = _gru_step(xw, state, w_hh, b_hh)
        else:
            h = _rnn_step(xw, state, w_hh, b_hh, "tanh" if self.mode == "RNN_TANH" else "relu")
        return h, h

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        name = type(self).__name__
        batched = _check_input(name, input, self.input_size, 3)
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)                        # time first, as the unrolled loop wants
        seq_len, batch = x.shape[0], x.shape[1]
        dirs = 2 if self.bidirectional else 1
        is_lstm = self.mode == "LSTM"
        want = (self.num_layers * dirs, batch, self.hidden_size)
        if hx is None:
            h0 = al.zeros(*want, dtype=x.dtype)
            hx = (h0, al.zeros(*want, dtype=x.dtype)) if is_lstm else h0
        elif not batched:
            hx = tuple(s.unsqueeze(1) for s in hx) if is_lstm else hx.unsqueeze(1)
        for s in (hx if is_lstm else (hx,)):
            if tuple(s.shape) != want:
                raise ValueError(f"{name}: expected hidden state of shape {want if batched else (want[0], want[2])}, "
                                 f"got {s.shape if batched else (s.shape[0], s.shape[2])}")
        layer_input = x                                  # (seq_len, batch, features)
        finals_h: list[Tensor] = []
        finals_c: list[Tensor] = []
        for layer in range(self.num_layers):
            outs_per_dir = []
            for d in range(dirs):
                k = layer * dirs + d
                state = (hx[0][k], hx[1][k]) if is_lstm else hx[k]
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                # The input's share of the gates for every step in one product; each step reads its row
                # (reads whose gradients the engine gathers into one array, not one per step).
                xw = F.linear(layer_input, w_ih, b_ih)
                if is_lstm and b_hh is not None:
                    xw, b_hh = xw + b_hh, None
                order = range(seq_len - 1, -1, -1) if d else range(seq_len)
                outs: list[Tensor | None] = [None] * seq_len
                # Each step's states named as PyTorch's documentation calls them (h_t, c_t), for drawings;
                # the tensors returned are new ones (stacked), so no name shows when they are printed.
                sfx = "" if self.num_layers == 1 and dirs == 1 else f"_l{layer}" + ("_reverse" if d else "")
                for t in order:
                    outs[t], state = self._step(xw[t], state, w_hh, b_hh)
                    outs[t].name = f"h_{t}{sfx}"
                    if is_lstm:
                        state[1].name = f"c_{t}{sfx}"
                outs_per_dir.append(outs)
                if is_lstm:
                    finals_h.append(state[0])
                    finals_c.append(state[1])
                else:
                    finals_h.append(state)
            steps = outs_per_dir[0] if dirs == 1 else [al.cat([a, b], dim=-1) for a, b in zip(*outs_per_dir)]
            layer_input = al.stack(steps, dim=0)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = al.stack(finals_h, dim=0)
        if batched and self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
        if is_lstm:
            c_n = al.stack(finals_c, dim=0)
            return output, (h_n, c_n if batched else c_n.squeeze(1))
        return output, h_n

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """A multi-layer Elman RNN with tanh or relu: returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or 'relu')")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """A multi-layer LSTM: returns (output, (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)


class GRU(RNNBase):
    """A multi-layer GRU: returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)

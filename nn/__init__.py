"""nn: neural-network building blocks on autograd_lite's public API, with PyTorch's names and layouts.

    import nn
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    loss = nn.CrossEntropyLoss()(model(x), y)

Where things live: `module.py` (Module, Sequential, ModuleList, ModuleDict), `parameter.py`,
`layers.py` (Linear, Dropout, BatchNorm, LayerNorm, GroupNorm, Embedding, ...), `conv.py` (convolution,
transposed convolution, pooling, upsampling), `activation.py`, `loss.py`, `transformer.py` (MultiheadAttention,
Transformer and its encoder and decoder layers), `functional.py` (the stateless forms, as `nn.functional`),
`init.py` (initializers), `optim/` (optimizers and `optim.lr_scheduler`), `utils.py` (gradient clipping),
`data/` (datasets and DataLoader), `serialization.py` (`save`/`load`, safetensors checkpoints).
"""

from __future__ import annotations

from . import data, functional, init, optim, utils
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, PReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from .conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    MaxPool2d,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from .layers import (
    BatchNorm1d,
    BatchNorm2d,
    Dropout,
    Embedding,
    Flatten,
    GroupNorm,
    Identity,
    LayerNorm,
    Linear,
    Unflatten,
)
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, ModuleDict, ModuleList, Sequential
from .parameter import Parameter
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .serialization import load, save
from .transformer import (
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

"""A character-level MLP language model (Bengio et al. 2003), in the style of Karpathy's makemore: a lookup
table C of character embeddings, a tanh hidden layer, F.cross_entropy, manual SGD with `p.data += -lr * p.grad`,
train/dev/test splits, and names sampled with torch.multinomial from a seeded torch.Generator."""

# ruff: noqa: UP015 - written as the tutorials write it

import argparse
import random

import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser(description="makemore: an MLP over characters")
parser.add_argument("--data", default="names.txt", help="a text file of words, one a line")
parser.add_argument("--block-size", type=int, default=3, help="context length: how many characters predict the next")
parser.add_argument("--n-embd", type=int, default=10)
parser.add_argument("--n-hidden", type=int, default=200)
parser.add_argument("--steps", type=int, default=200000)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--samples", type=int, default=20)
args = parser.parse_args()

# read in all the words
words = open(args.data, 'r').read().splitlines()
print(len(words))
print(max(len(w) for w in words))
print(words[:8])

# build the vocabulary of characters and mappings to/from integers
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
print(itos)
print(vocab_size)

# build the dataset
block_size = args.block_size


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append

    X = torch.tensor(X)
    Y = torch.tensor(Y)
    print(X.shape, Y.shape)
    return X, Y


random.seed(42)
random.shuffle(words)
n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))

Xtr, Ytr = build_dataset(words[:n1])
Xdev, Ydev = build_dataset(words[n1:n2])
Xte, Yte = build_dataset(words[n2:])

g = torch.Generator().manual_seed(2147483647)  # for reproducibility
C = torch.randn((vocab_size, args.n_embd), generator=g)
W1 = torch.randn((block_size * args.n_embd, args.n_hidden), generator=g)
b1 = torch.randn(args.n_hidden, generator=g)
W2 = torch.randn((args.n_hidden, vocab_size), generator=g)
b2 = torch.randn(vocab_size, generator=g)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))  # number of parameters in total
for p in parameters:
    p.requires_grad = True

lri = []
lossi = []
stepi = []

for i in range(args.steps):
    # minibatch construct
    ix = torch.randint(0, Xtr.shape[0], (args.batch_size,), generator=g)

    # forward pass
    emb = C[Xtr[ix]]  # (32, 3, 10)
    h = torch.tanh(emb.view(-1, block_size * args.n_embd) @ W1 + b1)  # (32, 200)
    logits = h @ W2 + b2  # (32, 27)
    loss = F.cross_entropy(logits, Ytr[ix])

    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()

    # update
    lr = 0.1 if i < 100000 else 0.01
    for p in parameters:
        p.data += -lr * p.grad

    # track stats
    stepi.append(i)
    lossi.append(loss.log10().item())

print(loss.item())


@torch.no_grad()  # this decorator disables gradient tracking
def split_loss(split):
    x, y = {
        'train': (Xtr, Ytr),
        'val': (Xdev, Ydev),
        'test': (Xte, Yte),
    }[split]
    emb = C[x]
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, y)
    print(split, loss.item())


split_loss('train')
split_loss('val')

# sample from the model
g = torch.Generator().manual_seed(2147483647 + 10)

for _ in range(args.samples):
    out = []
    context = [0] * block_size  # initialize with all ...
    while True:
        emb = C[torch.tensor([context])]  # (1,block_size,d)
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        logits = h @ W2 + b2
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0:
            break

    print(''.join(itos[i] for i in out))

"""Linear regression, the concise way (in the style of d2l.ai's chapter): synthetic data from a known line, a
TensorDataset in a shuffling DataLoader, nn.Sequential(nn.Linear(2, 1)) with its weight drawn by
`.data.normal_`, MSELoss and SGD, then how far the learned parameters are from the true ones."""

import argparse

import torch
from torch import nn
from torch.utils import data

parser = argparse.ArgumentParser(description="linear regression with nn.Linear")
parser.add_argument("--num-examples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--lr", type=float, default=0.03)
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()


def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, args.num_examples)
print('features:', features[0], '\nlabel:', labels[0])


def load_array(data_arrays, batch_size, is_train=True):
    """Construct a PyTorch data iterator."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


batch_size = args.batch_size
data_iter = load_array((features, labels), batch_size)
print(next(iter(data_iter)))

net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)

loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=args.lr)

num_epochs = args.epochs
for epoch in range(num_epochs):
    for X, y in data_iter:
        l = loss(net(X), y)  # noqa: E741 - d2l's name
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)  # noqa: E741
    print(f'epoch {epoch + 1}, loss {l:f}')

w = net[0].weight.data
print('error in estimating w:', true_w - w.reshape(true_w.shape))
b = net[0].bias.data
print('error in estimating b:', true_b - b)

"""Automatic differentiation with torch.autograd, in the style of PyTorch's tutorials on it: a one-layer network
with binary cross-entropy, its graph (grad_fn, next_functions), gradients, torch.no_grad(), detach(),
requires_grad_(), retain_grad(), vector-Jacobian products with retain_graph, and gradients that accumulate."""

import math

import torch

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
print(f"Next functions of loss: {loss.grad_fn.next_functions}")
print(f"Next functions of z: {z.grad_fn.next_functions}")
print(f"Next functions of z's first input: {z.grad_fn.next_functions[0][0].next_functions}")
print(f"The graph is made of the same objects: {loss.grad_fn.next_functions[0][0] is z.grad_fn}")
print(f"The gradient of b is accumulated into b: {z.grad_fn.next_functions[1][0].variable is b}")

loss.backward()
print(w.grad)
print(b.grad)
print(f"loss = {loss.item():.6f}")

z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

# Turning gradient tracking on for a tensor made without it.
t = torch.randn(2, 3)
print(t.requires_grad)
t.requires_grad_()
u = (t * t).mean()
print(u.grad_fn)
u.backward()
print(torch.allclose(t.grad, 2 * t.detach() / 6))

# An intermediate result keeps its gradient when asked to.
h = t.exp()
h.retain_grad()
v = h.log().sum()
v.backward()
print(h.is_leaf, h.grad_fn, h.grad)

# Vector-Jacobian products, and gradients accumulating across calls.
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
print(out.grad_fn)
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

# The graph of a few operations, walked back from the output.
a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
b = torch.sin(a)
c = 2 * b
d = c + 1
out = d.sum()
print('d:')
print(d.grad_fn)
print(d.grad_fn.next_functions)
print(d.grad_fn.next_functions[0][0].next_functions)
print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions)
print('\nc:')
print(c.grad_fn)
print('\nb:')
print(b.grad_fn)
print('\na:')
print(a.grad_fn)
out.backward()
print(a.grad)
print(torch.allclose(a.grad, 2 * torch.cos(a.detach())))

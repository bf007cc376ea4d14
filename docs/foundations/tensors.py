# %% [markdown]
# # PyTorch tensor basics · 张量基础
# <a id="tensors"></a>
#
# A tensor is an n-dimensional array with a `dtype` (what each number is) and a `device`
# (where it lives). This page is an executed notebook: every cell below ran when the site
# was built, and the outputs you see are the real ones.

# %%
import torch
from torch import nn

torch.manual_seed(0)
print(torch.__version__)

# %% [markdown]
# ## Creating tensors · 创建张量
#
# `torch.ones` and `torch.zeros` fill a shape; `arange` and `linspace` make ranges (the
# first excludes its end and takes a step, the second includes both ends and takes a
# number of points); `randn` draws standard normal values.

# %%
x = torch.ones(2, 3)
print(x, x.dtype, x.shape)
print(torch.arange(0, 10, 3))  # step 3 from 0; the end, 10, is excluded
print(torch.linspace(0, 1, 5))  # 5 points, both ends included

# %% [markdown]
# ## dtype, and tensors like another · 数据类型
#
# Python integers become `int64` and Python floats `float32` (the default float dtype).
# `x.new_ones(...)` makes a new tensor with `x`'s dtype and device but a shape of your
# choice; `torch.randn_like(x)` keeps `x`'s shape, dtype and device too.

# %%
counts = torch.tensor([1, 2, 3])
print(counts.dtype, torch.tensor([1.0, 2.0]).dtype)
halves = counts.new_ones(2, 2, dtype=torch.float64) / 2
print(halves)
noise = torch.randn_like(halves)
print(noise.shape, noise.dtype)

# %% [markdown]
# Arithmetic promotes integers to floating point (`counts / 2` is a float tensor), but a
# layer's weights fix the dtype it accepts: an integer batch must be converted first.

# %%
layer = nn.Linear(3, 2)
print((counts / 2).dtype)
try:
    layer(counts[None])
except RuntimeError as error:
    print("RuntimeError:", error)
print(layer(counts[None].float()).shape)

# %% [markdown]
# ## Size, indexing and slicing · 尺寸、索引与切片
#
# `size()` (or `.shape`) returns a `torch.Size`, a tuple; `size(d)` one of its entries.
# Indexing and slicing follow NumPy, one entry per dimension separated by commas
# (`grid[1, 2]`, not `grid[1][2]`, which makes an intermediate tensor), and return *views*
# that share memory with the original.

# %%
grid = torch.arange(12).reshape(3, 4)
print(grid.size(), grid.size(1), grid.shape[0])
print(grid[1])  # second row
print(grid[:, -1])  # last column: every row, last entry
print(grid[1, 2], grid[0:2, 1:3])
view = grid[0, 1:3]
view[0] = 100  # writes through to grid
print(grid[0])

# %% [markdown]
# ## Matrix product and concatenation · 矩阵乘法与拼接
#
# `@` is matrix multiplication (`torch.matmul`); `*` is element-wise. `torch.cat` joins
# tensors along an existing dimension, every other dimension must match; `torch.stack`
# adds a new dimension.

# %%
a = torch.randn(2, 3)
b = torch.randn(3, 4)
print((a @ b).shape, (a * a).shape)
print(torch.cat([a, a], dim=0).shape, torch.cat([a, a], dim=1).shape)
print(torch.stack([a, a]).shape)

# %% [markdown]
# <details class="question">
# <summary>Interview questions · 面试题</summary>
#
# 1. **`view`、`reshape` 和 `clone` 有什么区别？** *What is the difference between
#    `view`, `reshape` and `clone`?* `view` returns a tensor that shares memory with the
#    original and needs compatible strides; `reshape` returns a view when it can and a copy
#    otherwise; `clone` always copies. Writing into a view changes the original, as above.
#    ([Indexing and slicing](#size-indexing-and-slicing))
# 2. **`*` 和 `@` 有什么区别？** *`*` or `@`?* `*` multiplies element by element (with
#    broadcasting); `@` is the matrix product, `(2, 3) @ (3, 4)` gives `(2, 4)`.
#    ([Matrix product](#matrix-product-and-concatenation))
# 3. **`torch.cat` 和 `torch.stack` 有什么区别？** *`cat` or `stack`?* `cat` joins along an
#    existing dimension, `stack` creates a new one; both need the other sizes to match.
#    ([Concatenation](#matrix-product-and-concatenation))
# 4. **`arange` 和 `linspace` 有什么区别？** *`arange` or `linspace`?* `arange(start, end,
#    step)` excludes `end`; `linspace(start, end, steps)` includes both ends and takes the
#    number of points. ([Creating tensors](#creating-tensors))
# 5. **张量的默认数据类型是什么？** *What dtype does a new tensor get?* `int64` from Python
#    integers, `float32` (the default float dtype) from floats; a model's weights decide
#    what it accepts. ([dtype](#dtype-and-tensors-like-another))
#
# </details>

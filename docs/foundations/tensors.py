# %% [markdown]
# # PyTorch tensor basics · 张量基础
# <a id="tensors"></a>
#
# A tensor is an n-dimensional array with a `dtype` (what each number is) and a `device`
# (where it lives). This page is an executed notebook: every cell below ran when the site
# was built, and the outputs you see are the real ones.

# %%
import torch

torch.manual_seed(0)
print(torch.__version__)

# %% [markdown]
# ## Creating tensors · 创建张量
#
# `torch.ones` and `torch.zeros` fill a shape; `arange` and `linspace` make ranges (the
# first excludes its end, the second includes it); `randn` draws standard normal values.

# %%
x = torch.ones(2, 3)
print(x, x.dtype, x.shape)
print(torch.arange(0, 10, 3))  # 0, 3, 6, 9: the end is excluded
print(torch.linspace(0, 1, 5))  # 5 points, both ends included

# %% [markdown]
# ## dtype, and tensors like another · 数据类型
#
# `x.new_ones(...)` makes a new tensor with `x`'s dtype and device but a shape of your
# choice; `torch.randn_like(x)` keeps `x`'s shape too. Integer and floating tensors do
# not mix silently in every operation, so knowing the dtype matters.

# %%
counts = torch.tensor([1, 2, 3])
print(counts.dtype)  # int64: Python ints become int64
halves = counts.new_ones(2, 2, dtype=torch.float64) / 2
print(halves)
noise = torch.randn_like(halves)
print(noise.shape, noise.dtype)

# %% [markdown]
# ## Size, indexing and slicing · 尺寸、索引与切片
#
# `size()` (or `.shape`) returns a `torch.Size`, a tuple. Indexing and slicing follow
# NumPy and return *views* that share memory with the original.

# %%
grid = torch.arange(12).reshape(3, 4)
print(grid.size(), grid.shape[0])
print(grid[1])  # second row
print(grid[:, -1])  # last column
view = grid[0, 1:3]
view[0] = 100  # writes through to grid
print(grid[0])

# %% [markdown]
# ## Matrix product and concatenation · 矩阵乘法与拼接
#
# `@` is matrix multiplication (`torch.matmul`); `*` is element-wise. `torch.cat` joins
# tensors along an existing dimension; every other dimension must match.

# %%
a = torch.randn(2, 3)
b = torch.randn(3, 4)
print((a @ b).shape)  # (2, 3) @ (3, 4) -> (2, 4)
print(torch.cat([a, a], dim=0).shape, torch.cat([a, a], dim=1).shape)

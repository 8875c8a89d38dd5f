"""The fast network's shape contract and the loss that keeps its output cells from showing as a grid."""

from __future__ import annotations

import pytest
import torch

from stylecam.training.losses import lattice_loss
from stylecam.training.nets import FastNet, build_net, count_macs, size_multiple


def test_fast_net_keeps_the_size_and_works_below_full_resolution() -> None:
    net = FastNet().eval()
    assert size_multiple("fast") == 8 and size_multiple("quality") == 4
    for h, w in [(16, 16), (40, 72), (64, 48)]:
        with torch.no_grad():
            y = net(torch.rand(1, 3, h, w))
        assert y.shape == (1, 3, h, w) and float(y.min()) >= 0 and float(y.max()) <= 1
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.padding == (0, 0) for c in convs if c.kernel_size == (3, 3))  # edge padding, not zeros
    # no convolution at full or half resolution: the cost per pixel is that of the 1/4 and 1/8 stages
    assert count_macs(net, 360, 640) / (640 * 360) < 6000


def test_fresh_fast_net_has_no_grid() -> None:
    """ICNR start: the pixels of a 4x4 output cell start equal, so a new network paints no lattice."""
    torch.manual_seed(0)
    net = build_net("fast").eval()
    with torch.no_grad():
        cells = torch.nn.functional.pixel_unshuffle(net(torch.rand(1, 3, 32, 32)), 4)
    per_cell = cells.reshape(1, 3, 16, 8, 8)
    assert float((per_cell - per_cell[:, :, :1]).abs().max()) < 1e-6


def test_lattice_loss_sees_a_grid_but_not_texture() -> None:
    g = torch.Generator().manual_seed(0)
    base = torch.rand(2, 3, 64, 64, generator=g) * 0.2 + 0.4
    grid = base.clone()
    grid[..., ::4, ::4] += 0.3  # a dot on every 4x4 cell: locked to the lattice
    grid8 = base.clone()
    grid8[..., ::8, :] += 0.3  # a line every 8 rows
    # the same amount of texture, at random places
    spots = base + 0.3 * (torch.rand(2, 1, 64, 64, generator=g) < 1 / 16).float()
    smooth = torch.full((2, 3, 64, 64), 0.5)
    assert float(lattice_loss(smooth)) == pytest.approx(0.0, abs=1e-12)
    assert float(lattice_loss(grid)) > 20 * float(lattice_loss(spots))
    assert float(lattice_loss(grid8)) > 20 * float(lattice_loss(spots))

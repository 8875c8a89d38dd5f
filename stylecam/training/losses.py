"""Loss terms: Gram-matrix style loss, content loss, total variation and the stability term."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def gram(feat: torch.Tensor) -> torch.Tensor:
    """Gram matrices ``(B, C, C)`` normalised by ``C*H*W``, computed in float32."""
    b, c, h, w = feat.shape
    f = feat.float().reshape(b, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def style_loss(
    feats: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], weights: dict[str, float] | None = None
) -> torch.Tensor:
    """Weighted sum over layers of the relative squared Gram error ``||G - Gs||^2 / ||Gs||^2``.

    Normalising each layer by its target's energy makes the weights independent of the activation scale
    of the VGG weights (Caffe's or torchvision's); ``weights`` (default 1 each) then say how much each
    layer counts. A target is ``(C, C)`` (one painting for the batch) or ``(B, C, C)`` (each sample its
    own painting). Averaged over the batch.
    """
    total = torch.zeros((), device=next(iter(feats.values())).device)
    for name, target in targets.items():
        g = gram(feats[name])
        t = target if target.dim() == 3 else target.unsqueeze(0)
        err = ((g - t) ** 2).sum(dim=(1, 2)) / (t**2).sum(dim=(1, 2)).clamp_min(1e-12)
        w = 1.0 if weights is None else weights.get(name, 1.0)
        total = total + w * err.mean()
    return total


def content_loss(feat: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative squared error of features: ``mean((f - t)^2) / mean(t^2)`` (scale-free like the style loss)."""
    target = target.float()
    return F.mse_loss(feat.float(), target) / target.pow(2).mean().clamp_min(1e-12)


def colour_loss(output: torch.Tensor, photo: torch.Tensor, factor: int = 8) -> torch.Tensor:
    """Mean squared difference of the ``factor``-times downsampled pictures: keeps the photo's local
    colours and light at a coarse scale while leaving the texture below that scale free."""
    return F.mse_loss(F.avg_pool2d(output.float(), factor), F.avg_pool2d(photo.float(), factor))


def lattice_loss(img: torch.Tensor, cell: int = 8, window: int = 8) -> torch.Tensor:
    """Energy of patterns locked to the ``cell x cell`` pixel lattice.

    A network whose last step is depth-to-space predicts each of a cell's ``cell**2`` pixels with its own
    filter, and the Gram style loss, which rewards fine texture, is cheapest to please with a pattern
    repeating on that lattice: a visible grid. Averaged over ``window x window`` cells, real texture (brush
    strokes at any position) averages out, a lattice-locked pattern does not; this is the variance over the
    cell positions of those averages. ``cell`` 8 catches 4- and 8-pixel periods. Height and width must be
    multiples of ``cell``.
    """
    b, c, h, w = img.shape
    cells = F.pixel_unshuffle(img.float(), cell)  # (B, C*cell*cell, h/cell, w/cell), colour-major
    win = max(1, min(window, h // cell, w // cell))
    avg = F.avg_pool2d(cells, win).reshape(b, c, cell * cell, -1)
    return avg.var(dim=2, unbiased=False).mean()


def tv_loss(img: torch.Tensor) -> torch.Tensor:
    """Total variation: mean squared difference of neighbouring pixels."""
    dx = img[..., :, 1:] - img[..., :, :-1]
    dy = img[..., 1:, :] - img[..., :-1, :]
    return (dx.float() ** 2).mean() + (dy.float() ** 2).mean()


def random_warp_grid(
    batch: int,
    height: int,
    width: int,
    generator: torch.Generator,
    max_shift: float = 6.0,
    max_rot_deg: float = 2.0,
    max_scale: float = 0.03,
) -> torch.Tensor:
    """Sampling grids for ``grid_sample`` of small random affine motions (shift, rotation, zoom)."""
    r = torch.rand(batch, 4, generator=generator) * 2 - 1
    ang = r[:, 0] * math.radians(max_rot_deg)
    scale = 1 + r[:, 1] * max_scale
    tx = r[:, 2] * max_shift * 2 / width
    ty = r[:, 3] * max_shift * 2 / height
    cos, sin = torch.cos(ang) * scale, torch.sin(ang) * scale
    theta = torch.stack(
        [torch.stack([cos, -sin * height / width, tx], 1), torch.stack([sin * width / height, cos, ty], 1)], 1
    )
    return F.affine_grid(theta, [batch, 3, height, width], align_corners=False)


def warp(img: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Resample ``img`` with ``grid`` (bilinear, border padding)."""
    return F.grid_sample(img, grid.to(img.dtype), mode="bilinear", padding_mode="border", align_corners=False)


def stability_loss(
    stylized_moved: torch.Tensor, moved_stylized: torch.Tensor, margin: int = 8
) -> torch.Tensor:
    """Mean squared difference of ``f(warp(x) + noise)`` and ``warp(f(x))`` away from the border."""
    a = stylized_moved[..., margin:-margin, margin:-margin].float()
    b = moved_stylized[..., margin:-margin, margin:-margin].float()
    return F.mse_loss(a, b)


def palette_projections(pixels: torch.Tensor, directions: torch.Tensor, n: int) -> torch.Tensor:
    """Sorted projections ``(n, K)`` of ``n`` quantiles of a colour set ``(M, 3)`` on ``directions`` ``(3, K)``."""
    proj = torch.sort(pixels.float() @ directions, dim=0).values
    idx = torch.linspace(0, proj.shape[0] - 1, n, device=proj.device).round().long()
    return proj[idx]


def palette_loss(img: torch.Tensor, targets: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Sliced Wasserstein distance between each picture's colours and its painting's.

    ``img`` ``(B, 3, H, W)``; ``targets`` ``(B, n, K)``: the painting's sorted colour projections (from
    :func:`palette_projections`) on the ``K`` unit ``directions`` ``(3, K)``. Each picture's pixel colours
    are projected, sorted and compared quantile by quantile (mean absolute difference): the colour
    *distribution* must be the painting's, not only its mean, so a tint scores badly.
    """
    b, c, h, w = img.shape
    n = targets.shape[1]
    px = img.float().permute(0, 2, 3, 1).reshape(b, h * w, c)
    proj = torch.sort(px @ directions, dim=1).values  # (B, HW, K)
    idx = torch.linspace(0, h * w - 1, n, device=img.device).round().long()
    return (proj[:, idx] - targets).abs().mean()


def colour_model(pixels: torch.Tensor, n: int = 256) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A painting's colours as its mean ``(3,)``, principal colour axes ``(3, 3)`` (columns) and ``n``
    quantiles of its colours along each axis ``(3, n)``; :func:`recolour` maps a photo onto them."""
    px = pixels.float()
    mean = px.mean(0)
    centred = px - mean
    cov = centred.t() @ centred / max(1, px.shape[0] - 1)
    axes = torch.linalg.eigh(cov).eigenvectors
    proj = torch.sort(centred @ axes, dim=0).values  # (M, 3)
    idx = torch.linspace(0, proj.shape[0] - 1, n, device=px.device).round().long()
    return mean, axes, proj[idx].t().contiguous()


def recolour(
    photo: torch.Tensor, mean: torch.Tensor, axes: torch.Tensor, quantiles: torch.Tensor
) -> torch.Tensor:
    """The photos in their paintings' colours: histogram matching along each painting's principal axes.

    ``photo`` ``(B, 3, H, W)`` in ``[0, 1]``; ``mean`` ``(B, 3)``, ``axes`` ``(B, 3, 3)``, ``quantiles``
    ``(B, 3, n)`` from :func:`colour_model` (one painting per picture). Each pixel keeps its rank along
    each of the painting's colour axes within its own picture and takes the painting's colour at that
    rank, so the photo's light and its colour contrasts stay where they are (a blue sky and a yellow wall
    stay apart) while the colours become the painting's, all of them, not only its mean.
    """
    b, c, h, w = photo.shape
    n = quantiles.shape[-1]
    px = photo.float().permute(0, 2, 3, 1).reshape(b, h * w, c)
    proj = torch.bmm(px - px.mean(1, keepdim=True), axes)  # (B, HW, 3)
    ranks = proj.argsort(dim=1).argsort(dim=1).float() / max(1, h * w - 1)
    pos = ranks * (n - 1)
    lo = pos.floor().long().clamp(max=n - 2)
    frac = pos - lo
    q = quantiles.transpose(1, 2)  # (B, n, 3)
    vals = torch.gather(q, 1, lo) * (1 - frac) + torch.gather(q, 1, lo + 1) * frac
    out = torch.bmm(vals, axes.transpose(1, 2)) + mean[:, None, :]
    return out.clamp(0, 1).reshape(b, h, w, c).permute(0, 3, 1, 2).contiguous()


def colour_directions(k: int = 32, seed: int = 0) -> torch.Tensor:
    """``(3, k)`` unit vectors in RGB for the palette loss: the three axes, grey, and random ones."""
    g = torch.Generator().manual_seed(seed)
    fixed = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 1.0, 1.0]])
    d = torch.cat([fixed, torch.randn(max(k - 4, 0), 3, generator=g)])[:k]
    return (d / d.norm(dim=1, keepdim=True)).t().contiguous()

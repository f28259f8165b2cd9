"""Piecewise-constant label scenes for maskeval tests and benchmarks (own code).

A scene is a list of shape specs drawn in order onto a background, so a GT map
and a prediction can share the same layout (the prediction re-renders the specs
with jittered geometry, translated values, dropped/extra shapes), giving the
boundary errors, missed objects and blob-shaped false positives that real
segmentation outputs have.  Only a numpy Generator is used for randomness.

Shape spec: dict(kind=..., value=..., geometry...) with kind in
  "rect"     y0, y1, x0, x1 (half-open)
  "ellipse"  cy, cx, ry, rx, theta
  "poly"     ys, xs (vertex lists; even-odd fill)
  "band"     y0 (per-column top edge, an array of length w) -> fills rows >= edge
"""

import numpy as np


def _bbox_clip(y0, y1, x0, x1, h, w):
    y0 = max(0, int(np.floor(y0)))
    x0 = max(0, int(np.floor(x0)))
    y1 = min(h, int(np.ceil(y1)))
    x1 = min(w, int(np.ceil(x1)))
    return y0, y1, x0, x1


def shape_mask(spec, h, w):
    """Return (ys, xs, mask) where mask is a bool array over the clipped bbox
    rows ys=slice, cols xs=slice; or None when the shape is outside the image."""
    k = spec["kind"]
    if k == "rect":
        y0, y1, x0, x1 = _bbox_clip(spec["y0"], spec["y1"], spec["x0"], spec["x1"], h, w)
        if y0 >= y1 or x0 >= x1:
            return None
        return slice(y0, y1), slice(x0, x1), None       # None = full box
    if k == "ellipse":
        cy, cx, ry, rx, th = spec["cy"], spec["cx"], spec["ry"], spec["rx"], spec["theta"]
        r = max(ry, rx)
        y0, y1, x0, x1 = _bbox_clip(cy - r - 1, cy + r + 1, cx - r - 1, cx + r + 1, h, w)
        if y0 >= y1 or x0 >= x1:
            return None
        yy = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5 - cy
        xx = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5 - cx
        c, s = np.cos(th), np.sin(th)
        u = (c * xx + s * yy) / rx
        v = (-s * xx + c * yy) / ry
        return slice(y0, y1), slice(x0, x1), (u * u + v * v) <= 1.0
    if k == "poly":
        ys = np.asarray(spec["ys"], dtype=np.float64)
        xs = np.asarray(spec["xs"], dtype=np.float64)
        y0, y1, x0, x1 = _bbox_clip(ys.min(), ys.max() + 1, xs.min(), xs.max() + 1, h, w)
        if y0 >= y1 or x0 >= x1:
            return None
        py = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5
        px = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5
        inside = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        n = len(ys)
        for i in range(n):
            ya, xa = ys[i], xs[i]
            yb, xb = ys[(i + 1) % n], xs[(i + 1) % n]
            if ya == yb:
                continue
            crosses = (ya > py) != (yb > py)                  # (rows, 1)
            if not crosses.any():
                continue
            xint = xa + (py - ya) * (xb - xa) / (yb - ya)     # (rows, 1)
            inside ^= crosses & (px < xint)
        return slice(y0, y1), slice(x0, x1), inside
    if k == "band":
        edge = np.asarray(spec["edge"])
        top = int(max(0, min(h, edge.min())))
        if top >= h:
            return None
        rows = np.arange(top, h)[:, None]
        return slice(top, h), slice(0, w), rows >= edge[None, :w]
    raise ValueError(k)


def paint(canvas, spec, value=None):
    m = shape_mask(spec, *canvas.shape)
    if m is None:
        return
    ys, xs, mask = m
    v = spec["value"] if value is None else value
    if mask is None:
        canvas[ys, xs] = v
    else:
        canvas[ys, xs][mask] = v


def render(h, w, background, specs, value_map=None, dtype=np.int64):
    """Draw specs in order.  value_map: optional callable value -> value."""
    out = np.full((h, w), background if value_map is None else value_map(background), dtype=dtype)
    for s in specs:
        paint(out, s, None if value_map is None else value_map(s["value"]))
    return out


# ---------------------------------------------------------------------------
# random shape specs


def random_wavy_edge(rng, w, y_mean, amp):
    """Per-column edge: a smoothed random walk around y_mean."""
    steps = rng.normal(0.0, 1.0, size=w)
    walk = np.cumsum(steps)
    if w > 1:
        walk -= np.linspace(walk[0], walk[-1], w)
    scale = amp / (np.abs(walk).max() + 1e-9)
    return np.round(y_mean + walk * scale).astype(np.int64)


def random_spec(rng, h, w, value, size_frac=(0.05, 0.5), kinds=None, weights=None):
    kinds = kinds or ("rect", "ellipse", "poly", "thin")
    weights = weights or (0.3, 0.3, 0.3, 0.1)
    k = kinds[int(rng.choice(len(kinds), p=np.asarray(weights) / np.sum(weights)))]
    lo, hi = size_frac
    sh = max(1.0, h * rng.uniform(lo, hi))
    sw = max(1.0, w * rng.uniform(lo, hi))
    cy = rng.uniform(-0.1 * h, 1.1 * h)
    cx = rng.uniform(-0.1 * w, 1.1 * w)
    if k == "rect":
        return dict(kind="rect", value=value, y0=cy - sh / 2, y1=cy + sh / 2, x0=cx - sw / 2, x1=cx + sw / 2)
    if k == "ellipse":
        return dict(kind="ellipse", value=value, cy=cy, cx=cx, ry=max(0.7, sh / 2), rx=max(0.7, sw / 2),
                    theta=rng.uniform(0, np.pi))
    if k == "poly":
        n = int(rng.integers(3, 10))
        ang = np.sort(rng.uniform(0, 2 * np.pi, size=n))
        rad = rng.uniform(0.3, 1.0, size=n)
        return dict(kind="poly", value=value, ys=(cy + rad * np.sin(ang) * sh / 2).tolist(),
                    xs=(cx + rad * np.cos(ang) * sw / 2).tolist())
    # thin structure: pole / line as a thick segment polygon, 1..3 px wide
    th = rng.uniform(0.6, 3.0)
    ang = rng.choice([0.0, np.pi / 2, rng.uniform(0, np.pi)])
    L = max(sh, sw)
    dy, dx = np.sin(ang) * L / 2, np.cos(ang) * L / 2
    ny, nx = np.cos(ang) * th / 2, -np.sin(ang) * th / 2
    ys = [cy - dy + ny, cy + dy + ny, cy + dy - ny, cy - dy - ny]
    xs = [cx - dx + nx, cx + dx + nx, cx + dx - nx, cx - dx - nx]
    return dict(kind="poly", value=value, ys=ys, xs=xs)


def jitter_spec(rng, spec, amount):
    """Small geometric perturbation (pixels) -> boundary disagreements."""
    s = dict(spec)
    k = s["kind"]
    if k == "rect":
        for key in ("y0", "y1", "x0", "x1"):
            s[key] = s[key] + rng.normal(0, amount)
    elif k == "ellipse":
        s["cy"] += rng.normal(0, amount)
        s["cx"] += rng.normal(0, amount)
        s["ry"] = max(0.7, s["ry"] + rng.normal(0, amount))
        s["rx"] = max(0.7, s["rx"] + rng.normal(0, amount))
    elif k == "poly":
        s["ys"] = (np.asarray(s["ys"]) + rng.normal(0, amount, size=len(s["ys"]))).tolist()
        s["xs"] = (np.asarray(s["xs"]) + rng.normal(0, amount, size=len(s["xs"]))).tolist()
    elif k == "band":
        e = np.asarray(s["edge"])
        s["edge"] = e + np.round(rng.normal(0, amount)).astype(np.int64)
    return s


def random_layout(rng, h, w, values, n_shapes, bands=True, size_frac=(0.05, 0.5)):
    """Background value + list of specs using `values` (a sequence)."""
    vals = list(values)
    bg = vals[int(rng.integers(len(vals)))]
    specs = []
    if bands and h >= 4:
        for _ in range(int(rng.integers(0, 3))):
            y = rng.uniform(0.2 * h, 0.9 * h)
            specs.append(dict(kind="band", value=vals[int(rng.integers(len(vals)))],
                              edge=random_wavy_edge(rng, w, y, max(1.0, 0.08 * h))))
        specs.sort(key=lambda s: float(np.mean(s["edge"])))
    for _ in range(n_shapes):
        specs.append(random_spec(rng, h, w, vals[int(rng.integers(len(vals)))], size_frac=size_frac))
    return bg, specs

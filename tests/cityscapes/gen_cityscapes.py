#!/usr/bin/env python3
"""Generates a deterministic Cityscapes-style instance segmentation set for
the parity test against cityscapesScripts 2.3.0 (run_parity.py):

  OUT/gt/<city>/<city>_<seq>_<frame>_gtFine_instanceIds.png   16-bit gray
  OUT/pred/<city>/<city>_<seq>_<frame>_pred.txt                prediction lists
  OUT/pred/<city>/masks/...png                                 masks

Ground truth: stuff and void regions, instances of the 8 classes and of
caravan / trailer (29xxx / 30xxx, not void in the reference), groups
(id < 1000), instances below 100 px, occlusions. Predictions: jittered and
duplicated copies of instances (overlapping masks), false positives on road,
void and groups, non-instance label ids (7, 29, -1, 26.7 -> 26, 2.6e1),
empty masks, masks in every PNG colour type (RGB, RGBA, 16-bit RGB,
palette with short PLTE, gray 1/8/16-bit, gray+alpha) including faint
colours whose Pillow "L" value is 0, score ties (and Python float()
spellings: +x, 0.2_5, .5, 5., 1E-1, -0.0), repeated mask paths,
'./' and 'x/../' paths, CRLF line ends. Everything comes from
random.Random(seed).

For speed benchmarks (tests/bench/cityscapes): --mask-png pillow-l writes
every prediction mask as detectron2's CityscapesInstanceEvaluator does
(Pillow mode "L", 0 / 255, Pillow's PNG writer), and --size 1024x2048
--instances MIN:MAX --false-positives MIN:MAX --salt P set the image size,
the instances per image, the false positives per image and how often a
prediction gets whole-image salt noise. Without these options the output
(and the random sequence) is that of the parity sets."""
import argparse
import os
import random

import struct
import zlib

import numpy as np

from pngw import _chunk

CLASSES = [24, 25, 26, 27, 28, 31, 32, 33]
STUFF = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23]
VOID = [0, 1, 2, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18]
CITIES = ["aachen", "bochum", "bremen"]


def png_from_array(arr, color_type, depth, plte=None, trns=None):
    """arr: numpy array (h, w) or (h, w, channels); depth 1..16."""
    a = np.asarray(arr)
    h, w = a.shape[0], a.shape[1]
    flat = a.reshape(h, -1)
    if depth == 16:
        body = flat.astype(">u2").view(np.uint8).reshape(h, -1)
    elif depth == 8:
        body = flat.astype(np.uint8)
    else:
        per = 8 // depth
        n = flat.shape[1]
        pad = (-n) % per
        v = np.concatenate([flat.astype(np.uint8), np.zeros((h, pad), np.uint8)], axis=1).reshape(h, -1, per)
        shifts = np.array([8 - depth * (i + 1) for i in range(per)], np.uint8)
        body = np.bitwise_or.reduce(v << shifts, axis=2).astype(np.uint8)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), body], axis=1).tobytes()
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
    if plte is not None:
        out += _chunk(b"PLTE", bytes(v for rgb in plte for v in rgb))
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    return out + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def rect_mask(rng, h, w, min_side=2, max_frac=0.5):
    hh = rng.randint(min_side, max(min_side, int(h * max_frac)))
    ww = rng.randint(min_side, max(min_side, int(w * max_frac)))
    y = rng.randint(0, h - hh)
    x = rng.randint(0, w - ww)
    m = np.zeros((h, w), bool)
    if rng.random() < 0.5:
        m[y:y + hh, x:x + ww] = True
    else:  # ellipse
        # Evaluated on rows y..y+hh and columns x..x+ww only (clipped to the
        # image), with the same elementwise float64 operations as on the
        # whole np.mgrid[0:h, 0:w]: outside that box |yy - cy| >= hh/2 + 1
        # (or the same for x), so the rounded quotient is > 1, its square is
        # > 1 and the pixel is out, exactly as before; inside, each pixel's
        # value is the same IEEE operations on the same numbers.
        y1, x1 = min(h, y + hh + 1), min(w, x + ww + 1)
        yy, xx = np.ogrid[y:y1, x:x1]
        cy, cx = y + hh / 2.0, x + ww / 2.0
        m[y:y1, x:x1] = ((yy - cy) / (hh / 2.0)) ** 2 + ((xx - cx) / (ww / 2.0)) ** 2 <= 1.0
    return m


def jitter(rng, m, salt=0.3):
    h, w = m.shape
    out = np.roll(m, (rng.randint(-3, 3), rng.randint(-3, 3)), axis=(0, 1))
    if rng.random() < 0.4:  # grow or shrink by a pixel
        s = out.copy()
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            sh = np.roll(out, (dy, dx), axis=(0, 1))
            s = (s | sh) if rng.random() < 0.5 else (s & sh)
        out = s
    if rng.random() < salt:  # salt noise over the whole image
        np_rng = np.random.default_rng(rng.randint(0, 2**31))
        flip = np_rng.random((h, w)) < 0.03
        out = out ^ flip
    return out


def encode_mask(rng, m):
    """The mask in a random PNG flavour; returns PNG bytes. Foreground pixels
    get a colour whose L is nonzero, except 'faint' ones (L == 0)."""
    h, w = m.shape
    kind = rng.choice(["gray8", "gray16", "gray1", "rgb8", "rgb8faint", "rgba8", "rgb16",
                       "palette", "palette4", "la8", "la16"])
    faint_part = None
    if rng.random() < 0.2:  # part of the mask drawn in a colour that L maps to 0
        np_rng = np.random.default_rng(rng.randint(0, 2**31))
        faint_part = m & (np_rng.random((h, w)) < 0.3)
    if kind == "gray8":
        a = np.where(m, rng.randint(1, 255), 0)
        if faint_part is not None:
            a[faint_part] = 0
        return png_from_array(a, 0, 8)
    if kind == "gray16":
        a = np.where(m, rng.choice([1, 255, 256, 65535]), 0)
        return png_from_array(a, 0, 16)
    if kind == "gray1":
        return png_from_array(m.astype(np.uint8), 0, 1)
    if kind in ("rgb8", "rgb8faint", "rgba8"):
        fg = rng.choice([(255, 255, 255), (2, 0, 0), (0, 1, 0), (0, 0, 5), (0, 0, 142), (220, 20, 60)])
        if kind == "rgb8faint":
            fg = rng.choice([(1, 0, 0), (0, 0, 4), (1, 0, 2)])  # L == 0: the mask vanishes
        bg = rng.choice([(0, 0, 0), (1, 0, 0), (0, 0, 4)])
        ch = 4 if kind == "rgba8" else 3
        a = np.zeros((h, w, ch), np.uint8)
        a[..., :3] = bg
        a[m, :3] = fg
        if faint_part is not None:
            a[faint_part, :3] = (1, 0, 0)
        if ch == 4:
            a[..., 3] = np.random.default_rng(rng.randint(0, 2**31)).integers(0, 256, (h, w))
        return png_from_array(a, 6 if ch == 4 else 2, 8)
    if kind == "rgb16":
        fg = rng.choice([(0x0200, 0, 0), (0, 0x0100, 0), (0xFFFF, 0xFFFF, 0xFFFF), (0x00FF, 0x00FF, 0x00FF)])
        a = np.zeros((h, w, 3), np.uint16)
        a[m] = fg
        return png_from_array(a, 2, 16)
    if kind in ("palette", "palette4"):
        plte = [(0, 0, 0), (1, 0, 0), (0, 0, 142), (250, 170, 30)]
        a = np.zeros((h, w), np.uint8)
        a[m] = rng.choice([2, 3])
        if faint_part is not None:
            a[faint_part] = 1
        if kind == "palette":
            a[m & (np.random.default_rng(rng.randint(0, 2**31)).random((h, w)) < 0.1)] = 200  # past PLTE: black
            return png_from_array(a, 3, 8, plte=plte, trns=b"\x00\x80")
        a[a == 200] = 0
        return png_from_array(a, 3, 4, plte=plte)
    if kind == "la8":
        a = np.zeros((h, w, 2), np.uint8)
        a[m, 0] = rng.randint(1, 255)
        a[..., 1] = 255
        return png_from_array(a, 4, 8)
    a = np.zeros((h, w, 2), np.uint16)  # la16: only the high byte of gray counts
    a[m, 0] = rng.choice([0x0100, 0xFFFF, 0x00FF])
    a[..., 1] = 0xFFFF
    return png_from_array(a, 4, 16)


def make_image(rng, h, w, classes, reserve_strip, n_instances=(2, 10)):
    gt = np.zeros((h, w), np.int64)
    # stuff and void rectangles
    for _ in range(rng.randint(3, 8)):
        gt[rect_mask(rng, h, w, 4, 0.8)] = rng.choice(STUFF + VOID)
    instances = []  # (value, mask) in drawing order
    counters = {}
    for _ in range(rng.randint(*n_instances)):
        lab = rng.choice(classes + [29, 30])
        m = rect_mask(rng, h, w, 3, rng.choice([0.15, 0.3, 0.5]))
        if rng.random() < 0.15:
            val = lab  # a group
        else:
            k = counters.get(lab, 0)
            counters[lab] = k + 1
            val = lab * 1000 + k
        gt[m] = val
        instances.append((val, m))
    if reserve_strip:
        gt[h - 8:, :] = 7  # road strip for the per-class false positives
    return gt, instances


def save_pillow_l(mask, path):
    """As detectron2's CityscapesInstanceEvaluator writes a predicted mask:
    Pillow mode "L", 0 / 255, Pillow's own PNG encoder and filters."""
    from PIL import Image

    Image.fromarray(mask.astype(np.uint8) * 255).save(path)


def generate(seed, out, n_images, size, mask_png="mixed", instances=(2, 10), false_positives=(0, 4),
             salt=0.3):
    rng = random.Random(seed)
    classes = rng.sample(CLASSES, rng.randint(4, 8))  # the others: NaN rows
    pred_only = [c for c in CLASSES if c not in classes][:1]  # predicted, never in GT
    names = []
    frames = set()
    for i in range(n_images):
        city = CITIES[i % len(CITIES)]
        while True:
            seq, frame = rng.randint(0, 99), rng.randint(0, 999999)
            if (city, seq, frame) not in frames:
                frames.add((city, seq, frame))
                break
        names.append((city, "%s_%06d_%06d" % (city, seq, frame)))
    for idx, (city, stem) in enumerate(names):
        h, w = size if size else (rng.randint(40, 90), rng.randint(50, 120))
        gt, gt_instances = make_image(rng, h, w, classes, idx == 0, instances)
        gdir = os.path.join(out, "gt", city)
        pdir = os.path.join(out, "pred", city)
        mdir = os.path.join(pdir, "masks")
        os.makedirs(gdir, exist_ok=True)
        os.makedirs(mdir, exist_ok=True)
        with open(os.path.join(gdir, stem + "_gtFine_instanceIds.png"), "wb") as f:
            f.write(png_from_array(gt.astype(np.uint16), 0, 16))
        lines = []
        count = [0]

        def add(mask, label, conf, rel_style=None):
            name = "%s_%d.png" % (stem, count[0])
            count[0] += 1
            if mask_png == "pillow-l":
                save_pillow_l(mask, os.path.join(mdir, name))
            else:
                with open(os.path.join(mdir, name), "wb") as f:
                    f.write(encode_mask(rng, mask))
            rel = "masks/" + name
            if rel_style == "dot":
                rel = "./masks/" + name
            elif rel_style == "up":
                rel = "masks/../masks/" + name
            lines.append("%s %s %s" % (rel, label, conf))
            return rel

        def score():
            return rng.choice(["0.5", "0.9", "0.25", "%.2f" % rng.random(), "%.3f" % rng.random(),
                               "5e-1", "0.9", "1", "0.75",
                               # Python float() spellings: sign, underscores, bare dots, E
                               "+0.25", "0.2_5", ".5", "5.", "1E-1", "-0.0", "0"])

        for val, m in gt_instances:
            lab = val if val < 1000 else val // 1000
            visible = gt == val
            if not visible.any() or rng.random() < 0.2:
                continue
            label = str(lab)
            r = rng.random()
            if r < 0.05:
                label = "%d.7" % lab  # int(float()) truncates
            elif r < 0.08:
                label = "%se1" % (lab / 10.0)
            elif r < 0.09:
                label = "+%d.0" % lab
            elif r < 0.12:
                label = str(rng.choice(classes))  # wrong class
            for _ in range(rng.choice([1, 1, 1, 2, 3])):  # duplicates overlap
                add(jitter(rng, visible, salt), label, score(), rng.choice([None, None, "dot", "up"]))
        # false positives on stuff / void / groups, non-instance labels, empties
        for _ in range(rng.randint(*false_positives)):
            add(rect_mask(rng, h, w, 2, 0.3), str(rng.choice(classes + pred_only)), score())
        if rng.random() < 0.3:
            add(rect_mask(rng, h, w, 2, 0.3), rng.choice(["7", "29", "-1", "0", "23.5"]), score())
        if rng.random() < 0.2:
            add(np.zeros((h, w), bool), str(rng.choice(classes)), score())  # empty mask
        if rng.random() < 0.15 and lines:  # a mask path named again: last label / score win
            rel, _, _ = rng.choice(lines).split(" ")
            lines.append("%s %s %s" % (rel, rng.choice(classes), score()))
        if idx == 0:
            for k, c in enumerate(classes + pred_only):  # keeps every score list non-empty
                m = np.zeros((h, w), bool)
                m[h - 6:h - 1, 1 + 6 * k:6 + 6 * k] = True
                add(m, str(c), "0.0%d" % (k + 1))
        rng.shuffle(lines)
        eol = "\r\n" if rng.random() < 0.2 else "\n"
        text = eol.join(lines) + (eol if rng.random() < 0.7 else "")
        with open(os.path.join(pdir, stem + "_pred.txt"), "w", newline="") as f:
            f.write(text)


def span(text):
    lo, sep, hi = text.partition(":")
    try:
        lo, hi = int(lo), int(hi if sep else lo)
    except ValueError:
        raise argparse.ArgumentTypeError("expected MIN:MAX, got %r" % text)
    if not 0 <= lo <= hi:
        raise argparse.ArgumentTypeError("expected 0 <= MIN <= MAX, got %r" % text)
    return lo, hi


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--size", default=None, help="HxW for every image (default: random small)")
    ap.add_argument("--mask-png", choices=("mixed", "pillow-l"), default="mixed",
                    help="mixed (default): every PNG colour type, filter 0, zlib (parity); pillow-l: "
                         "Image.fromarray(mask.astype(np.uint8) * 255).save(path) as detectron2's "
                         "CityscapesInstanceEvaluator writes them (needs Pillow)")
    ap.add_argument("--instances", type=span, default=(2, 10), metavar="MIN:MAX",
                    help="ground-truth instances and groups drawn per image, uniform in MIN..MAX "
                         "(default 2:10; some end up hidden by later ones)")
    ap.add_argument("--false-positives", type=span, default=(0, 4), metavar="MIN:MAX",
                    help="false-positive predictions per image, uniform in MIN..MAX (default 0:4)")
    ap.add_argument("--salt", type=float, default=0.3, metavar="P",
                    help="probability that a predicted copy of an instance gets salt noise (3%% of "
                         "the pixels of the whole image flipped; default 0.3)")
    a = ap.parse_args()
    size = tuple(int(v) for v in a.size.split("x")) if a.size else None
    generate(a.seed, a.out, a.images, size, a.mask_png, a.instances, a.false_positives, a.salt)


if __name__ == "__main__":
    main()

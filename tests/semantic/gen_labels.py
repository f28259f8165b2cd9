#!/usr/bin/env python3
"""Deterministic generator of semantic-segmentation test sets for maskeval.

Usage:
  gen_labels.py --seed N --out DIR [--profile P] [--no-verify]

Writes DIR/gt/*.png, DIR/pred/*.png (piecewise-constant label maps) and
DIR/args.json, whose "maskeval_args" are the options that go with the set
(paths in them are relative to DIR: run maskeval / ref_semantic.py with
cwd=DIR and `--gt gt --pred pred`).  For --profile bad it writes small
error cases DIR/<case>/{gt,pred,expect.json} instead (see BAD CASES below).

Profiles
  gray8        8-bit gray, K in [8, 40), ignore 255 (default)
  palette      palette PNGs (8/4/2/1-bit, colours != indices, some tRNS),
               predictions partly 8-bit gray; K in [8, 13), ignore 255
  gray16       16-bit gray, K in [260, 300]; ignore 65535 for even seeds,
               255 for odd seeds (then 65535 is an invalid/out-of-range value);
               classes > 255 alias classes < 256 mod 256 (catches truncation)
  lowbit       1/2/4-bit gray (Pillow scales: 2-bit v -> 85v, 4-bit v -> 17v,
               1-bit -> 0/1), K = 200, ignore 255
  suffixes     Cityscapes-like names <stem>_gtFine_labelIds.png / <stem>_pred.png,
               labelIds 0..33 (+34..40, 255) in both; --label-map cityscapes
               --pred-label-map cityscapes, K = 19; decoy files in the dirs
               (<stem>_gtFine_color.png RGBA, _instanceIds.png, .json) that do
               not end in the suffix and must be ignored
  reduce_zero  ADE-like: GT 0 = other, 1..K classes, run with --reduce-zero-label
  labelmap     reduce_zero plus --label-map FILE and --pred-label-map FILE with
               cycles (1->2->3->1), merges, drops to ignore and a mapping of the
               prediction value 255 (checks simultaneous lookup and the order
               reduce -> map)
  sparse       16-bit, K = 5000 (> 4096: sparse confusion output), ignore 65535
  interlaced   Adam7-interlaced files of every supported type, K = 40
  bad          error cases (exit 1 / 2), see below

Every set (except bad) contains: ignore pixels, out-of-range predictions,
GT values >= K that are not the ignore index, a class absent from GT but
predicted, a class in GT but never predicted, a class absent from both, a
class present in both with zero overlap (Fscore NaN), images of different
sizes (including tiny ones), random PNG filters per row, random zlib levels
and window sizes, IDAT streams split at random places (sometimes into empty
IDAT chunks), and optional tEXt / private ancillary / tRNS chunks.

Only numpy's seeded Generator is used for randomness.  Pillow (if installed)
is used to write some 8-bit files and to verify that every written file
decodes (Pillow + numpy) to the intended label values.

BAD CASES (profile bad): DIR/<case>/{gt,pred,expect.json}; expect.json =
{"exit": 1|2|0, "stderr_contains": "<substring, case-insensitive; '' = any>",
 "args": [maskeval options other than --gt/--pred], "note": "..."}.
Cases with "exit": 0 (strict_ok, all_ignore, one_class) are degenerate but
valid inputs; run_semantic.py also compares their JSON with the reference.
"""

import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labelscenes as ls  # noqa: E402
from pngio import encode_png, chunk, PNG_SIGNATURE  # noqa: E402

try:
    from PIL import Image
except ImportError:  # the generator works without Pillow (no verification)
    Image = None

GENERATOR_VERSION = 1

PROFILES = ("gray8", "palette", "gray16", "lowbit", "suffixes", "reduce_zero",
            "labelmap", "sparse", "interlaced", "bad")

# name: (colour type, bit depth, decoded = raw * scale, max raw)
FORMATS = {
    "gray1": (0, 1, 1, 1), "gray2": (0, 2, 85, 3), "gray4": (0, 4, 17, 15),
    "gray8": (0, 8, 1, 255), "gray16": (0, 16, 1, 65535),
    "pal1": (3, 1, 1, 1), "pal2": (3, 2, 1, 3), "pal4": (3, 4, 1, 15), "pal8": (3, 8, 1, 255),
}

CITYSCAPES_ID_TO_TRAINID = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
    23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
}


def representable(fmt, values):
    _, _, scale, maxraw = FORMATS[fmt]
    v = np.asarray(values, dtype=np.int64)
    return (v >= 0) & (v % scale == 0) & (v // scale <= maxraw)


# ---------------------------------------------------------------------------
# value transforms (GT: reduce_zero -> map; pred: map) -- an independent
# implementation used only to classify raw values while generating


def make_transform(reduce_zero, mapping):
    def T(v):
        v = np.asarray(v, dtype=np.int64)
        if reduce_zero:
            r = v - 1
            r[v == 0] = 255
            r[v == 255] = 255
            v = r
        if mapping:
            out = v.copy()
            for s, d in mapping.items():
                out[v == s] = d
            v = out
        return v
    return T


def cityscapes_map(ignore):
    return {i: CITYSCAPES_ID_TO_TRAINID.get(i, ignore) for i in range(34)}


# ---------------------------------------------------------------------------
# profiles


def rng_for(seed, profile):
    return np.random.default_rng([int(seed), PROFILES.index(profile), GENERATOR_VERSION])


def profile_config(profile, seed, rng):
    c = dict(profile=profile, reduce_zero=False, gt_map=None, pred_map=None,
             gt_map_name=None, pred_map_name=None, gt_suffix="", pred_suffix="",
             interlace=False, stem="img_{:03d}", all_ignore_image=False,
             large_image=False, tiny=True, force_gt_values=(), role_candidates=None,
             decoys=False, n_images=int(rng.integers(6, 10)), shapes=(4, 16))
    if profile == "gray8":
        K = int(rng.integers(8, 40))
        c.update(K=K, ignore=255, all_ignore_image=True, large_image=True,
                 gt_domain=list(range(K)) + list(range(K, K + 6)) + [200, 254, 255],
                 pred_domain=list(range(K)) + list(range(K, K + 6)) + [254, 255],
                 formats=lambda i, r: ("gray8", "gray8"))
    elif profile == "palette":
        K = int(rng.integers(8, 13))
        c.update(K=K, ignore=255,
                 gt_domain=list(range(16)) + [200, 255],
                 pred_domain=list(range(16)) + [254, 255],
                 formats=lambda i, r: ("pal8", "pal8") if i == 0 else
                 (["pal8", "pal4", "pal4", "pal2", "pal1"][int(r.integers(5))],
                  ["pal8", "pal4", "gray8"][int(r.integers(3))]))
    elif profile == "gray16":
        K = int(rng.integers(260, 301))
        ign = 65535 if seed % 2 == 0 else 255
        extra_gt = [K, K + 1, 1000, 4096, 40000, 65534, 65535, 255]
        c.update(K=K, ignore=ign,
                 gt_domain=list(range(K)) + extra_gt,
                 pred_domain=list(range(K)) + [K, K + 3, 1000, 65534, 65535],
                 force_gt_values=(3, 259, 10, 266),
                 formats=lambda i, r: ("gray16", "gray16") if i == 0 else
                 ("gray16", "gray8" if r.random() < 0.3 else "gray16"))
    elif profile == "lowbit":
        K = 200
        c.update(K=K, ignore=255, gt_domain=list(range(256)), pred_domain=list(range(256)),
                 role_candidates=[17 * k for k in range(1, 12) if 17 * k not in (85, 170)],
                 formats=lambda i, r: ("gray4", "gray4") if i == 0 else
                 (["gray1", "gray2", "gray4"][int(r.integers(3))],
                  ["gray1", "gray2", "gray4"][int(r.integers(3))]))
    elif profile == "suffixes":
        c.update(K=19, ignore=255, gt_map=cityscapes_map(255), pred_map=cityscapes_map(255),
                 gt_map_name="cityscapes", pred_map_name="cityscapes",
                 gt_suffix="_gtFine_labelIds", pred_suffix="_pred",
                 stem="frankfurt_{:06d}_000019", decoys=True,
                 gt_domain=list(range(41)) + [255], pred_domain=list(range(41)) + [255],
                 formats=lambda i, r: ("gray8", "gray8"))
    elif profile == "reduce_zero":
        K = int(rng.integers(12, 31))
        c.update(K=K, ignore=255, reduce_zero=True,
                 gt_domain=list(range(K + 1)) + list(range(K + 1, K + 7)) + [254, 255],
                 pred_domain=list(range(K)) + [K, K + 1, 254, 255],
                 formats=lambda i, r: ("gray8", "gray8"))
    elif profile == "labelmap":
        K = int(rng.integers(12, 21))
        gmap = {1: 2, 2: 3, 3: 1, 5: 4, 6: 255, 7: K + 3, 0: 9}
        pmap = {0: 1, 1: 0, 4: 254, 255: 3, 9: K + 10}
        c.update(K=K, ignore=255, reduce_zero=True, gt_map=gmap, pred_map=pmap,
                 gt_map_name="gt_label_map.json", pred_map_name="pred_label_map.json",
                 gt_domain=list(range(K + 2)) + [K + 5, 255],
                 pred_domain=list(range(K)) + [K, 254, 255],
                 formats=lambda i, r: ("gray8", "gray8") if i == 0 else
                 (["gray8", "pal8"][int(r.integers(2))], ["gray8", "pal8"][int(r.integers(2))]))
    elif profile == "sparse":
        K = 5000
        cls = sorted(set(rng.choice(K, size=60, replace=False).tolist()) | {0, K - 1})
        c.update(K=K, ignore=65535, tiny=False, n_images=int(rng.integers(4, 7)),
                 gt_domain=cls + [5000, 5003, 6000, 65534, 65535],
                 pred_domain=cls + [5000, 5001, 65535],
                 formats=lambda i, r: ("gray16", "gray16"))
    elif profile == "interlaced":
        K = 40
        fm = ["gray8", "pal8", "gray16", "pal4", "gray4", "gray2", "gray1", "pal2", "pal1"]
        c.update(K=K, ignore=255, interlace=True,
                 gt_domain=sorted(set(list(range(K + 6)) + [17 * k for k in range(16)] + [85, 170, 254, 255])),
                 pred_domain=sorted(set(list(range(K + 6)) + [17 * k for k in range(16)] + [85, 170, 254, 255])),
                 formats=lambda i, r: ("gray16", "pal8") if i == 0 else
                 (fm[int(r.integers(len(fm)))], fm[int(r.integers(len(fm)))]))
    else:
        raise ValueError(profile)
    c["T_gt"] = make_transform(c["reduce_zero"], c["gt_map"])
    c["T_pred"] = make_transform(False, c["pred_map"])
    return c


# ---------------------------------------------------------------------------
# pools of raw values classified by what they mean after mapping


def pools(cfg, gfmt, pfmt, gt_absent, pred_absent):
    K, ign = cfg["K"], cfg["ignore"]
    gd = np.array(sorted(set(cfg["gt_domain"])), dtype=np.int64)
    gd = gd[representable(gfmt, gd)]
    pd = np.array(sorted(set(cfg["pred_domain"])), dtype=np.int64)
    pd = pd[representable(pfmt, pd)]
    tg = cfg["T_gt"](gd)
    tp = cfg["T_pred"](pd)
    g_valid = [int(v) for v, t in zip(gd, tg) if 0 <= t < K and t != ign and int(t) not in gt_absent]
    g_ign = [int(v) for v, t in zip(gd, tg) if t == ign]
    g_inv = [int(v) for v, t in zip(gd, tg) if t != ign and not (0 <= t < K)]
    p_valid = [int(v) for v, t in zip(pd, tp) if 0 <= t < K and int(t) not in pred_absent]
    p_oor = [int(v) for v, t in zip(pd, tp) if not (0 <= t < K)]
    return dict(gd=gd, tg=tg, pd=pd, tp=tp, g_valid=g_valid, g_ign=g_ign, g_inv=g_inv,
                p_valid=p_valid, p_oor=p_oor)


def pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def choose_roles(cfg, rng):
    """Classes with special roles, chosen among classes that image 0 can show
    in both GT and prediction."""
    K = cfg["K"]
    g0, p0 = cfg["formats"](0, rng)
    P = pools(cfg, g0, p0, set(), set())
    g_classes = set(int(cfg["T_gt"]([v])[0]) for v in P["g_valid"])
    p_classes = set(int(cfg["T_pred"]([v])[0]) for v in P["p_valid"])
    cand = sorted(g_classes & p_classes)
    if cfg["role_candidates"] is not None:
        cand = [c for c in cand if c in set(cfg["role_candidates"])]
    cand = [c for c in cand if c not in cfg["force_gt_values"]]
    assert len(cand) >= 5, (cfg["profile"], cand)
    sel = rng.permutation(cand)[:5].tolist()
    roles = dict(both_absent=sel[0], pred_only=sel[1], gt_only=sel[2], zero_overlap=sel[3],
                 gt_absent=[sel[0], sel[1]], pred_absent=[sel[0], sel[2]])
    # classes no raw value can produce are absent from both anyway
    all_g = set(int(t) for t in cfg["T_gt"](np.array(cfg["gt_domain"])) if 0 <= t < K)
    all_p = set(int(t) for t in cfg["T_pred"](np.array(cfg["pred_domain"])) if 0 <= t < K)
    roles["unreachable_classes"] = len(set(range(K)) - all_g - all_p)
    return roles, (g0, p0)


def image_size(cfg, rng, i, n):
    if i == 0:
        return int(rng.integers(24, 65)), int(rng.integers(24, 97))
    if cfg["large_image"] and i == 1:
        return 480, 640
    if cfg["tiny"] and i == n - 1:
        return [(1, 1), (1, 9), (7, 1), (2, 3)][int(rng.integers(4))]
    if rng.random() < 0.4:
        return int(rng.integers(3, 48)), int(rng.integers(3, 48))
    return int(rng.integers(48, 200)), int(rng.integers(48, 260))


def random_palette(rng, n):
    pal = rng.integers(0, 256, size=(n, 3))
    for i in range(n):                     # never the identity gray ramp
        if pal[i, 0] == pal[i, 1] == pal[i, 2] == i:
            pal[i, 0] = (i + 128) % 256
    return [tuple(int(x) for x in row) for row in pal]


def write_label_png(path, decoded, fmt, rng, interlace=False):
    """Encode decoded label values in the given format; returns a short description."""
    ct, depth, scale, maxraw = FORMATS[fmt]
    raw = np.asarray(decoded, dtype=np.int64) // scale
    assert representable(fmt, decoded).all(), (path, fmt)
    kw = dict(rng=rng, filters="random", interlace=interlace,
              level=int(rng.integers(0, 10)), wbits=int(rng.integers(9, 16)),
              idat_split="random" if rng.random() < 0.5 else None,
              text="maskeval test" if rng.random() < 0.2 else None,
              extra_ancillary=bool(rng.random() < 0.2))
    palette = None
    if ct == 3:
        palette = random_palette(rng, 1 << depth)
        if rng.random() < 0.3:
            kw["trns"] = bytes(rng.integers(0, 256, size=int(rng.integers(1, (1 << depth) + 1))).tolist())
    elif rng.random() < 0.15:
        kw["trns"] = struct.pack(">H", int(rng.integers(0, maxraw + 1)))
    use_pillow = (Image is not None and not interlace and fmt in ("gray8", "pal8")
                  and rng.random() < 0.25)
    if use_pillow:
        im = Image.frombytes("L" if ct == 0 else "P", (raw.shape[1], raw.shape[0]),
                             np.ascontiguousarray(raw, dtype=np.uint8).tobytes())
        if ct == 3:
            im.putpalette([x for rgb in palette for x in rgb])
        im.save(path, format="PNG")
        return "pillow"
    with open(path, "wb") as f:
        f.write(encode_png(raw, depth, ct, palette=palette, **kw))
    return "pngio"


def verify_png(path, decoded):
    if Image is None:
        return
    with Image.open(path) as im:
        got = np.array(im).astype(np.int64)
    if got.shape != decoded.shape or not np.array_equal(got, decoded):
        raise AssertionError(f"{path}: Pillow decodes different values than intended")


# ---------------------------------------------------------------------------


def generate_set(out, seed, profile, verify=True):
    rng = rng_for(seed, profile)
    cfg = profile_config(profile, seed, rng)
    K, ign = cfg["K"], cfg["ignore"]
    roles, _ = choose_roles(cfg, rng)
    gt_absent, pred_absent = set(roles["gt_absent"]), set(roles["pred_absent"])
    z = roles["zero_overlap"]
    Tg, Tp = cfg["T_gt"], cfg["T_pred"]

    gdir, pdir = os.path.join(out, "gt"), os.path.join(out, "pred")
    for d in (gdir, pdir):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)

    n = cfg["n_images"]
    all_g, all_p = [], []
    files = []
    for i in range(n):
        gfmt, pfmt = cfg["formats"](i, rng)
        h, w = image_size(cfg, rng, i, n)
        P = pools(cfg, gfmt, pfmt, gt_absent, pred_absent)
        # a low-bit image may be unable to show any (allowed) class: fall back
        # to ignore / invalid values for its scene
        g_valid = P["g_valid"] or (P["g_inv"] + P["g_ign"])
        p_valid = P["p_valid"] or P["p_oor"]
        if not g_valid or not p_valid:
            raise AssertionError(f"empty pool for image {i} ({gfmt}/{pfmt})")
        nsub = int(rng.integers(2, min(12, len(g_valid)) + 1)) if len(g_valid) > 1 else 1
        subset = rng.permutation(g_valid)[:nsub].tolist()
        if i == 0:
            subset += [v for v in cfg["force_gt_values"] if v in g_valid and v not in subset]
        bg, specs = ls.random_layout(rng, h, w, subset, int(rng.integers(*cfg["shapes"])))

        # GT value -> prediction raw value of the same class where possible
        lut = {}
        for v in subset:
            c = int(Tg([v])[0])
            cands = [r for r in p_valid if int(Tp([r])[0]) == c]
            lut[v] = pick(rng, cands) if cands and rng.random() < 0.9 else pick(rng, p_valid)
        gt = ls.render(h, w, bg, specs)
        pspecs = [ls.jitter_spec(rng, s, amount=max(0.5, 0.02 * min(h, w)))
                  for s in specs if rng.random() > 0.1]
        pred = ls.render(h, w, bg, pspecs, value_map=lambda v: lut[v])
        # blob-shaped prediction errors, some out of range
        for _ in range(int(rng.integers(0, 6))):
            if P["p_oor"] and rng.random() < 0.25:
                v = pick(rng, P["p_oor"])
            else:
                v = pick(rng, p_valid)
            ls.paint(pred, ls.random_spec(rng, h, w, v, size_frac=(0.05, 0.3)))
        # GT-only overlays: ignore regions and values >= K that are not ignore
        if P["g_ign"]:
            for _ in range(int(rng.integers(0, 4))):
                ls.paint(gt, ls.random_spec(rng, h, w, pick(rng, P["g_ign"]), size_frac=(0.05, 0.3)))
        if P["g_inv"] and rng.random() < 0.6:
            for _ in range(int(rng.integers(1, 3))):
                ls.paint(gt, ls.random_spec(rng, h, w, pick(rng, P["g_inv"]), size_frac=(0.03, 0.2)))
        if cfg["all_ignore_image"] and i == n - 2 and P["g_ign"]:
            gt[:] = P["g_ign"][0]

        # class z is in GT and in predictions but never on the same pixel
        tz_fallback = [r for r in p_valid if int(Tp([r])[0]) != z] or P["p_oor"] or p_valid
        mz = (Tg(gt) == z) & (Tp(pred) == z)
        if mz.any():
            pred[mz] = tz_fallback[0]

        if i == 0:
            place_patches(cfg, P, roles, gt, pred)

        stem = cfg["stem"].format(i)
        gname = stem + cfg["gt_suffix"] + ".png"
        pname = stem + cfg["pred_suffix"] + ".png"
        how_g = write_label_png(os.path.join(gdir, gname), gt, gfmt, rng, cfg["interlace"])
        how_p = write_label_png(os.path.join(pdir, pname), pred, pfmt, rng, cfg["interlace"])
        if verify:
            verify_png(os.path.join(gdir, gname), gt)
            verify_png(os.path.join(pdir, pname), pred)
        files.append(dict(gt=gname, pred=pname, h=h, w=w, gt_format=gfmt, pred_format=pfmt,
                          gt_writer=how_g, pred_writer=how_p))
        all_g.append(Tg(gt).ravel())
        all_p.append(Tp(pred).ravel())

    if cfg["decoys"]:
        write_decoys(gdir, pdir, cfg, rng)

    if isinstance(cfg["gt_map"], dict) and cfg["gt_map_name"] != "cityscapes":
        with open(os.path.join(out, cfg["gt_map_name"]), "w") as f:
            json.dump({str(k): v for k, v in cfg["gt_map"].items()}, f, indent=1)
    if isinstance(cfg["pred_map"], dict) and cfg["pred_map_name"] != "cityscapes":
        with open(os.path.join(out, cfg["pred_map_name"]), "w") as f:
            json.dump({str(k): v for k, v in cfg["pred_map"].items()}, f, indent=1)

    features = check_features(cfg, roles, np.concatenate(all_g), np.concatenate(all_p))

    args = ["--num-classes", str(K), "--ignore-index", str(ign)]
    if cfg["reduce_zero"]:
        args.append("--reduce-zero-label")
    if cfg["gt_map_name"]:
        args += ["--label-map", cfg["gt_map_name"]]
    if cfg["pred_map_name"]:
        args += ["--pred-label-map", cfg["pred_map_name"]]
    if cfg["gt_suffix"]:
        args += ["--gt-suffix", cfg["gt_suffix"]]
    if cfg["pred_suffix"]:
        args += ["--pred-suffix", cfg["pred_suffix"]]
    meta = dict(profile=profile, seed=seed, generator_version=GENERATOR_VERSION,
                gt_dir="gt", pred_dir="pred", num_classes=K, ignore_index=ign,
                reduce_zero_label=cfg["reduce_zero"], label_map=cfg["gt_map_name"],
                pred_label_map=cfg["pred_map_name"], gt_suffix=cfg["gt_suffix"],
                pred_suffix=cfg["pred_suffix"], strict=False, images=n,
                maskeval_args=args,
                maskeval_args_note="paths relative to this directory; run with cwd here and --gt gt --pred pred",
                roles=roles, features=features, files=files)
    with open(os.path.join(out, "args.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def place_patches(cfg, P, roles, gt, pred):
    """2x2 cells on the top rows of image 0 that guarantee every edge case."""
    K, ign = cfg["K"], cfg["ignore"]
    Tg, Tp = cfg["T_gt"], cfg["T_pred"]
    z = roles["zero_overlap"]

    def g_of(cls):
        c = [int(v) for v, t in zip(P["gd"], P["tg"]) if t == cls]
        return c[0] if c else None

    def p_of(cls):
        c = [int(v) for v, t in zip(P["pd"], P["tp"]) if t == cls]
        return c[0] if c else None

    f_g = next(v for v in P["g_valid"] if int(Tg([v])[0]) != z)
    f_p = next(v for v in P["p_valid"] if int(Tp([v])[0]) != z)
    same_p = p_of(int(Tg([f_g])[0]))
    if same_p is not None and int(Tp([same_p])[0]) in roles["pred_absent"]:
        same_p = None
    z_g, z_p = g_of(z), p_of(z)
    po_p, go_g = p_of(roles["pred_only"]), g_of(roles["gt_only"])
    ign_g = P["g_ign"][0] if P["g_ign"] else None
    inv_g = P["g_inv"][-1] if P["g_inv"] else None
    oor_p = P["p_oor"][-1] if P["p_oor"] else None
    cells = [(z_g, f_p), (f_g, z_p), (f_g, po_p), (go_g, f_p), (ign_g, oor_p), (ign_g, f_p),
             (inv_g, f_p), (inv_g, oor_p), (f_g, oor_p), (f_g, same_p)]
    col = 0
    for gv, pv in cells:
        if gv is None or pv is None:
            continue
        gt[0:2, col:col + 2] = gv
        pred[0:2, col:col + 2] = pv
        col += 2
    assert col <= gt.shape[1]


def check_features(cfg, roles, g, p):
    """Assert that the mapped data has every advertised edge case; return counts."""
    K, ign = cfg["K"], cfg["ignore"]
    valid = g != ign
    gv, pv = g[valid], p[valid]
    g_in = (gv >= 0) & (gv < K)
    p_in = (pv >= 0) & (pv < K)
    in_gt = set(np.unique(gv[g_in]).tolist())
    in_pred = set(np.unique(pv[p_in]).tolist())
    z = roles["zero_overlap"]
    f = dict(
        ignore_pixels=int((~valid).sum()),
        invalid_gt_pixels=int((~g_in).sum()),
        invalid_pred_pixels=int((~p_in).sum()),
        fp_on_invalid_gt=int((~g_in & p_in).sum()),
        classes_in_gt=len(in_gt), classes_in_pred=len(in_pred),
        classes_absent_from_both=K - len(in_gt | in_pred),
        zero_overlap_class_gt_pixels=int((gv == z).sum()),
        zero_overlap_class_pred_pixels=int((pv == z).sum()),
        zero_overlap_class_intersection=int(((gv == z) & (pv == z)).sum()),
    )
    problems = []
    if f["ignore_pixels"] == 0:
        problems.append("no ignore pixels")
    if f["invalid_gt_pixels"] == 0:
        problems.append("no GT >= K")
    if f["invalid_pred_pixels"] == 0:
        problems.append("no out-of-range predictions")
    if f["fp_on_invalid_gt"] == 0:
        problems.append("no in-range prediction on GT >= K")
    if roles["both_absent"] in in_gt or roles["both_absent"] in in_pred:
        problems.append("both_absent class present")
    if roles["pred_only"] in in_gt or roles["pred_only"] not in in_pred:
        problems.append("pred_only class wrong")
    if roles["gt_only"] in in_pred or roles["gt_only"] not in in_gt:
        problems.append("gt_only class wrong")
    if not (f["zero_overlap_class_gt_pixels"] and f["zero_overlap_class_pred_pixels"]) \
            or f["zero_overlap_class_intersection"]:
        problems.append("zero-overlap class wrong")
    if problems:
        raise AssertionError(f"{cfg['profile']}: generated set lacks: {', '.join(problems)}")
    return f


def write_decoys(gdir, pdir, cfg, rng):
    """Files that are not label files for the configured suffixes."""
    stem = cfg["stem"].format(0)
    rgba = rng.integers(0, 256, size=(4, 6, 4))
    with open(os.path.join(gdir, stem + "_gtFine_color.png"), "wb") as f:
        f.write(encode_png(rgba, 8, 6, rng=rng))
    inst = rng.integers(0, 65536, size=(4, 6))
    with open(os.path.join(gdir, stem + "_gtFine_instanceIds.png"), "wb") as f:
        f.write(encode_png(inst, 16, 0, rng=rng))
    with open(os.path.join(gdir, stem + "_gtFine_polygons.json"), "w") as f:
        f.write('{"imgHeight": 4, "imgWidth": 6, "objects": []}\n')
    with open(os.path.join(pdir, stem + "_pred_color.png"), "wb") as f:
        f.write(encode_png(rng.integers(0, 256, size=(4, 6, 3)), 8, 2, rng=rng))
    with open(os.path.join(pdir, "README.txt"), "w") as f:
        f.write("not a label file\n")


# ---------------------------------------------------------------------------
# bad cases


def _small_pair(rng, h=6, w=8, K=4):
    g = rng.integers(0, K, size=(h, w))
    p = rng.integers(0, K, size=(h, w))
    return g, p


def _gray8(path, a, rng):
    with open(path, "wb") as f:
        f.write(encode_png(a, 8, 0, rng=rng))


def generate_bad(out, seed):
    rng = rng_for(seed, "bad")
    K = 4
    base = ["--num-classes", str(K)]
    cases = {}

    def case(name, exit_code, contains, note, args=None):
        d = os.path.join(out, name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(os.path.join(d, "gt"))
        os.makedirs(os.path.join(d, "pred"))
        cases[name] = dict(exit=exit_code, stderr_contains=contains,
                           args=list(base if args is None else args), note=note)
        return os.path.join(d, "gt"), os.path.join(d, "pred")

    def ok_pair(gd, pd, stem="a"):
        g, p = _small_pair(rng)
        _gray8(os.path.join(gd, stem + ".png"), g, rng)
        _gray8(os.path.join(pd, stem + ".png"), p, rng)

    gd, pd = case("missing_pred", 1, "lonely_gt", "GT lonely_gt.png has no prediction")
    ok_pair(gd, pd)
    _gray8(os.path.join(gd, "lonely_gt.png"), _small_pair(rng)[0], rng)

    gd, pd = case("unpaired_pred", 1, "lonely_pred", "prediction lonely_pred.png has no GT")
    ok_pair(gd, pd)
    _gray8(os.path.join(pd, "lonely_pred.png"), _small_pair(rng)[1], rng)

    gd, pd = case("missing_pred_suffix", 1, "lonely", "with suffixes: GT lonely_gtFine_labelIds.png has no lonely_pred.png",
                  args=base + ["--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_pred"])
    g, p = _small_pair(rng)
    _gray8(os.path.join(gd, "a_gtFine_labelIds.png"), g, rng)
    _gray8(os.path.join(pd, "a_pred.png"), p, rng)
    _gray8(os.path.join(gd, "lonely_gtFine_labelIds.png"), g, rng)

    big = rng.integers(0, K, size=(64, 64))
    full = encode_png(big, 8, 0, rng=rng, filters=0, level=0)   # stored: size ~ raw
    idat_start = full.find(b"IDAT") + 4
    gd, pd = case("truncated_pred", 1, "truncated.png", "prediction cut in the middle of its IDAT data")
    ok_pair(gd, pd)
    _gray8(os.path.join(gd, "truncated.png"), big, rng)
    with open(os.path.join(pd, "truncated.png"), "wb") as f:
        f.write(full[: idat_start + (len(full) - idat_start) // 2])

    gd, pd = case("truncated_gt", 1, "truncgt.png", "GT cut in the middle of its IDAT data")
    ok_pair(gd, pd)
    with open(os.path.join(gd, "truncgt.png"), "wb") as f:
        f.write(full[: idat_start + 100])
    _gray8(os.path.join(pd, "truncgt.png"), big, rng)

    gd, pd = case("truncated_header", 1, "header.png", "only signature + part of IHDR")
    ok_pair(gd, pd)
    _gray8(os.path.join(gd, "header.png"), big, rng)
    with open(os.path.join(pd, "header.png"), "wb") as f:
        f.write(full[:20])

    gd, pd = case("not_png", 1, "textfile.png", "a text file named .png")
    ok_pair(gd, pd)
    _gray8(os.path.join(gd, "textfile.png"), _small_pair(rng)[0], rng)
    with open(os.path.join(pd, "textfile.png"), "w") as f:
        f.write("this is not a PNG file\n")

    gd, pd = case("empty_png", 1, "zero.png", "a zero-byte .png")
    ok_pair(gd, pd)
    open(os.path.join(gd, "zero.png"), "wb").close()
    _gray8(os.path.join(pd, "zero.png"), _small_pair(rng)[1], rng)

    gd, pd = case("corrupt_zlib", 1, "corrupt.png", "IDAT holds bytes that are not a zlib stream")
    ok_pair(gd, pd)
    _gray8(os.path.join(gd, "corrupt.png"), np.zeros((4, 4), int), rng)
    with open(os.path.join(pd, "corrupt.png"), "wb") as f:
        f.write(PNG_SIGNATURE + chunk("IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
                + chunk("IDAT", b"\x78\x9c\xff\xff\xff\xff\xff\xff") + chunk("IEND", b""))

    gd, pd = case("bad_filter", 1, "filter.png", "scanline filter type 7")
    ok_pair(gd, pd)
    _gray8(os.path.join(gd, "filter.png"), np.zeros((4, 4), int), rng)
    import zlib
    raw = b"".join(b"\x07" + bytes(4) for _ in range(4))
    with open(os.path.join(pd, "filter.png"), "wb") as f:
        f.write(PNG_SIGNATURE + chunk("IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
                + chunk("IDAT", zlib.compress(raw)) + chunk("IEND", b""))

    colour_cases = [("rgb", 2, 8, 3, "gt"), ("rgba", 6, 8, 4, "pred"), ("gray_alpha", 4, 8, 2, "gt"),
                    ("rgb16", 2, 16, 3, "pred"), ("gray_alpha16", 4, 16, 2, "pred")]
    for name, ct, depth, ch, side in colour_cases:
        gd, pd = case(name, 1, name + ".png", f"colour type {ct}, {depth}-bit, in the {side} dir")
        ok_pair(gd, pd)
        bad = encode_png(rng.integers(0, 1 << depth, size=(6, 8, ch)), depth, ct, rng=rng)
        good_g, good_p = _small_pair(rng)
        if side == "gt":
            with open(os.path.join(gd, name + ".png"), "wb") as f:
                f.write(bad)
            _gray8(os.path.join(pd, name + ".png"), good_p, rng)
        else:
            _gray8(os.path.join(gd, name + ".png"), good_g, rng)
            with open(os.path.join(pd, name + ".png"), "wb") as f:
                f.write(bad)

    gd, pd = case("size_mismatch", 1, "mismatch.png", "GT 10x12, prediction 12x10 (same pixel count)")
    ok_pair(gd, pd)
    _gray8(os.path.join(gd, "mismatch.png"), rng.integers(0, K, size=(10, 12)), rng)
    _gray8(os.path.join(pd, "mismatch.png"), rng.integers(0, K, size=(12, 10)), rng)

    case("empty_gt", 1, "empty_gt", "GT and prediction dirs are empty; the message should name the GT dir")

    gd, pd = case("num_classes_zero", 2, "num-classes", "--num-classes 0 is a usage error",
                  args=["--num-classes", "0"])
    ok_pair(gd, pd)

    gd, pd = case("strict_invalid_pred", 1, "", "--strict with a prediction value >= K",
                  args=base + ["--strict"])
    g, p = _small_pair(rng)
    p[2, 3] = K + 1
    _gray8(os.path.join(gd, "a.png"), g, rng)
    _gray8(os.path.join(pd, "a.png"), p, rng)

    gd, pd = case("strict_invalid_gt", 1, "", "--strict with a GT value >= K that is not ignore",
                  args=base + ["--strict"])
    g, p = _small_pair(rng)
    g[1, 1] = K + 2
    _gray8(os.path.join(gd, "a.png"), g, rng)
    _gray8(os.path.join(pd, "a.png"), p, rng)

    gd, pd = case("strict_ok", 0, "", "--strict with clean data (255 in GT is ignore) must succeed",
                  args=base + ["--strict"])
    g, p = _small_pair(rng)
    g[0, 0] = 255
    p[0, 0] = 200                       # prediction on an ignored pixel is not invalid
    _gray8(os.path.join(gd, "a.png"), g, rng)
    _gray8(os.path.join(pd, "a.png"), p, rng)

    gd, pd = case("all_ignore", 0, "", "every GT pixel is ignore: aAcc/fwIoU/mAcc null, no crash")
    g, p = _small_pair(rng)
    _gray8(os.path.join(gd, "a.png"), np.full_like(g, 255), rng)
    _gray8(os.path.join(pd, "a.png"), p, rng)

    gd, pd = case("one_class", 0, "", "K = 1, predictions 0/1/255 and GT 0/1/255",
                  args=["--num-classes", "1"])
    g = rng.integers(0, 2, size=(7, 5))
    p = rng.integers(0, 2, size=(7, 5))
    g[0, :] = 255
    p[:, 0] = 255
    _gray8(os.path.join(gd, "a.png"), g, rng)
    _gray8(os.path.join(pd, "a.png"), p, rng)

    for name, spec in cases.items():
        with open(os.path.join(out, name, "expect.json"), "w") as f:
            json.dump(spec, f, indent=1)
    with open(os.path.join(out, "args.json"), "w") as f:
        json.dump(dict(profile="bad", seed=seed, generator_version=GENERATOR_VERSION,
                       cases=sorted(cases)), f, indent=1)
    return cases


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate maskeval semantic test sets.")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profile", default="gray8", choices=PROFILES)
    ap.add_argument("--no-verify", action="store_true",
                    help="skip decoding every file with Pillow after writing it")
    opt = ap.parse_args(argv)
    os.makedirs(opt.out, exist_ok=True)
    if opt.profile == "bad":
        cases = generate_bad(opt.out, opt.seed)
        print(f"wrote {len(cases)} bad cases to {opt.out}")
    else:
        meta = generate_set(opt.out, opt.seed, opt.profile, verify=not opt.no_verify)
        print(f"wrote {meta['images']} pairs ({opt.profile}, K={meta['num_classes']}, "
              f"ignore={meta['ignore_index']}) to {opt.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

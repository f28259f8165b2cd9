"""Minimal PNG *writer* for maskeval test data (own code, written from the PNG spec).

Why not only Pillow: Pillow cannot write 2/4-bit grayscale, always picks its own
filters and IDAT layout, and never interlaces.  The C decoder under test must
handle all of that, so the generators write PNGs with this module, choosing:

  * colour type 0 (gray, bit depth 1/2/4/8/16), 3 (palette, 1/2/4/8),
    2 (RGB), 4 (gray+alpha), 6 (RGBA)   (the last three only for "bad" cases);
  * the scanline filter per row (0..4, or a random mix);
  * how the zlib stream is split over IDAT chunks (including empty IDATs);
  * zlib level (0 = stored blocks) and window size;
  * optional Adam7 interlacing, tRNS, and harmless ancillary chunks.

The samples passed in are the *raw* PNG sample values (e.g. 0..3 for 2-bit gray).
What Pillow + numpy makes of them is the business of the callers (see
gen_labels.py: `decoded_value`).
"""

import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ALLOWED_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}

# Adam7 passes: (x0, y0, dx, dy)
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
         (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def chunk(ctype, data):
    """One PNG chunk: length, type, data, CRC-32 over type+data."""
    ctype = ctype.encode("ascii") if isinstance(ctype, str) else ctype
    crc = zlib.crc32(ctype + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", crc)


def pack_rows(samples, depth, channels):
    """samples: (h, w) or (h, w, c) integer array of raw sample values.
    Returns (h, rowbytes) uint8 array of packed scanlines (no filter byte)."""
    s = np.asarray(samples)
    if s.ndim == 2:
        s = s[:, :, None]
    h, w, c = s.shape
    assert c == channels, (c, channels)
    maxv = (1 << depth) - 1
    if s.size and (s.min() < 0 or s.max() > maxv):
        raise ValueError(f"sample values outside 0..{maxv} for bit depth {depth}")
    flat = s.reshape(h, w * c).astype(np.int64)
    if depth == 16:
        out = np.empty((h, w * c * 2), dtype=np.uint8)
        out[:, 0::2] = (flat >> 8) & 0xFF   # big-endian
        out[:, 1::2] = flat & 0xFF
        return out
    if depth == 8:
        return flat.astype(np.uint8)
    per = 8 // depth                      # samples per byte, MSB first
    n = w * c
    rowbytes = (n * depth + 7) // 8
    padded = np.zeros((h, rowbytes * per), dtype=np.int64)
    padded[:, :n] = flat
    padded = padded.reshape(h, rowbytes, per)
    shifts = np.array([8 - depth * (i + 1) for i in range(per)], dtype=np.int64)
    return (padded << shifts).sum(axis=2).astype(np.uint8)


def _paeth(a, b, c):
    p = a + b - c
    pa = np.abs(p - a)
    pb = np.abs(p - b)
    pc = np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def filter_rows(raw, bpp, ftypes):
    """raw: (h, rowbytes) uint8; ftypes: (h,) filter type per row.
    Filtering works on the original bytes, so it vectorises over the image."""
    h, rb = raw.shape
    x = raw.astype(np.int32)
    a = np.zeros_like(x)
    a[:, bpp:] = x[:, :-bpp] if rb > bpp else a[:, bpp:]
    b = np.zeros_like(x)
    b[1:, :] = x[:-1, :]
    c = np.zeros_like(x)
    c[1:, bpp:] = x[:-1, :-bpp] if rb > bpp else c[1:, bpp:]
    preds = [np.zeros_like(x), a, b, (a + b) >> 1, _paeth(a, b, c)]
    out = np.empty((h, rb + 1), dtype=np.uint8)
    ft = np.asarray(ftypes, dtype=np.int64)
    out[:, 0] = ft
    res = np.zeros_like(x)
    for t in range(5):
        sel = ft == t
        if sel.any():
            res[sel] = (x[sel] - preds[t][sel]) & 0xFF
    out[:, 1:] = res
    return out


def _choose_filters(h, filters, rng):
    if filters is None or filters == "random":
        if rng is None:
            return np.zeros(h, dtype=np.int64)
        return rng.integers(0, 5, size=h)
    if isinstance(filters, int):
        return np.full(h, filters, dtype=np.int64)
    return np.asarray(filters, dtype=np.int64)


def encode_png(samples, depth, color_type, palette=None, trns=None, *,
               filters="random", rng=None, interlace=False, level=6, wbits=15,
               idat_split=None, text=None, extra_ancillary=False):
    """Return PNG bytes.

    samples     raw sample values, (h, w) for types 0/3, (h, w, c) otherwise
    palette     list of (r, g, b) for colour type 3
    trns        bytes payload of a tRNS chunk (already encoded), or None
    filters     "random" (needs rng), an int 0..4, or a per-row list
    idat_split  None (one IDAT) or a list of chunk sizes; with rng and
                idat_split == "random" the stream is cut at random places,
                sometimes with an empty IDAT in between
    """
    if color_type not in CHANNELS or depth not in ALLOWED_DEPTHS[color_type]:
        raise ValueError(f"invalid colour type/depth {color_type}/{depth}")
    ch = CHANNELS[color_type]
    s = np.asarray(samples)
    h, w = s.shape[:2]
    if h < 1 or w < 1:
        raise ValueError("PNG images must be at least 1x1")
    bpp = max(1, ch * depth // 8)

    if not interlace:
        raw = pack_rows(s, depth, ch)
        body = filter_rows(raw, bpp, _choose_filters(h, filters, rng)).tobytes()
    else:
        parts = []
        for (x0, y0, dx, dy) in ADAM7:
            sub = s[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue                 # empty passes have no scanlines at all
            raw = pack_rows(sub, depth, ch)
            parts.append(filter_rows(raw, bpp, _choose_filters(sub.shape[0], filters, rng)).tobytes())
        body = b"".join(parts)

    comp = zlib.compressobj(level, zlib.DEFLATED, wbits)
    z = comp.compress(body) + comp.flush()

    out = [PNG_SIGNATURE,
           chunk("IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))]
    if text is not None:
        out.append(chunk("tEXt", b"Comment\x00" + text.encode("latin-1")))
    if color_type == 3:
        if palette is None:
            raise ValueError("palette required for colour type 3")
        out.append(chunk("PLTE", b"".join(bytes((int(r), int(g), int(b))) for (r, g, b) in palette)))
    if trns is not None:
        out.append(chunk("tRNS", trns))
    if extra_ancillary:
        # private ancillary chunk (lower-case first letter): decoders must skip it
        out.append(chunk("teSt", b"maskeval test chunk"))

    pieces = []
    if idat_split is None:
        pieces = [z]
    else:
        if idat_split == "random":
            if rng is None or len(z) < 2:
                pieces = [z]
            else:
                ncut = int(rng.integers(1, min(6, len(z)) + 1))
                cuts = sorted(set(int(v) for v in rng.integers(0, len(z) + 1, size=ncut)))
                prev = 0
                for cpos in cuts + [len(z)]:
                    pieces.append(z[prev:cpos])   # may be empty: legal
                    prev = cpos
        else:
            prev = 0
            for n in idat_split:
                pieces.append(z[prev:prev + n])
                prev += n
            if prev < len(z):
                pieces.append(z[prev:])
    for p in pieces:
        out.append(chunk("IDAT", p))
    out.append(chunk("IEND", b""))
    return b"".join(out)


def write_png(path, samples, depth, color_type, **kw):
    data = encode_png(samples, depth, color_type, **kw)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)

"""Minimal PNG writer for the Cityscapes tests (standard library only):
every colour type and bit depth, optional PLTE / tRNS, so the masks can
exercise each path of Pillow's convert("L")."""
import struct
import zlib


def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png_bytes(width, height, color_type, depth, rows, plte=None, trns=None):
    """rows: height lists of width*channels sample values."""
    raw = bytearray()
    for row in rows:
        raw.append(0)
        if depth == 16:
            raw += struct.pack(">%dH" % len(row), *row)
        elif depth == 8:
            raw += bytes(row)
        else:
            per = 8 // depth
            packed = bytearray((len(row) + per - 1) // per)
            for i, v in enumerate(row):
                packed[i // per] |= v << (8 - depth * (i % per + 1))
            raw += packed
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    if plte is not None:
        out += _chunk(b"PLTE", bytes(v for rgb in plte for v in rgb))
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    return out + _chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + _chunk(b"IEND", b"")


def write_png(path, width, height, color_type, depth, rows, plte=None, trns=None):
    with open(path, "wb") as f:
        f.write(png_bytes(width, height, color_type, depth, rows, plte, trns))


def png_from_array(arr, color_type, depth, plte=None, trns=None):
    """arr: numpy array (h, w) or (h, w, channels); depth 1..16."""
    import numpy as np

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

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


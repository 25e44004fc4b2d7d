"""A large page rendered once and served many times, each time with its own CSP nonce — and
compressed once, not per response.

The page is kept as the text between its nonce slots, each piece deflated once on its own (a raw
deflate stream flushed to a byte boundary, never final). A response joins the pieces with the
fresh nonce in between (a few bytes deflated per response) and a final empty block, inside a gzip
header and trailer; only the CRC-32 is computed over the whole text per response (zlib does that
without holding the GIL). Valid because each piece's back-references stay inside the piece.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

__all__ = ["NoncePage"]

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime, OS unknown
_LEVEL = 6


def _deflate(data: bytes, *, final: bool = False) -> bytes:
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


class NoncePage:
    """The text ``nonce.join(pieces)`` for any nonce, plain or gzip-compressed."""

    def __init__(self, pieces: Sequence[str]) -> None:
        self._pieces = [piece.encode() for piece in pieces]
        self._deflated = [_deflate(piece) for piece in self._pieces]
        self._size = sum(len(piece) for piece in self._pieces)

    def text(self, nonce: str) -> bytes:
        return nonce.encode().join(self._pieces)

    def gzipped(self, nonce: str) -> bytes:
        slot = nonce.encode()
        slot_deflated = _deflate(slot)
        out = [_GZIP_HEADER]
        crc = 0
        for i, (piece, deflated) in enumerate(zip(self._pieces, self._deflated, strict=True)):
            if i:
                out.append(slot_deflated)
                crc = zlib.crc32(slot, crc)
            out.append(deflated)
            crc = zlib.crc32(piece, crc)
        out.append(_deflate(b"", final=True))
        size = self._size + len(slot) * (len(self._pieces) - 1)
        out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
        return b"".join(out)

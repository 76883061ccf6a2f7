"""The sealed stream a snapshot file is made of: compressed, then encrypted in chunks.

Layout: a fixed header, then AES-256-GCM chunks of ``CHUNK`` plaintext bytes each (the last one
shorter, possibly empty). The chunk key is derived from ``SHEGONG_BACKUP_KEY`` with HKDF and a
random salt of the file, so no two files share a key and the nonce can simply count chunks. Each
nonce carries a "last chunk" flag and every chunk authenticates the header, so a reordered,
altered or cut-off file never decrypts: cutting it at a chunk boundary leaves a last chunk that
was not sealed as last. The header also carries a short key check, so a wrong key is told apart
from a damaged file before anything else is read.

Chunking keeps memory flat whatever the size of the database (a district's is hundreds of MB);
zlib at a low level shrinks SQLite pages and pg_dump output about threefold at disk speed.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.utils.translation import gettext as _

MAGIC = b"SHEGONG-BACKUP\x00"
FORMAT = 1
CHUNK = 1 << 20
TAG = 16
ZLIB_LEVEL = 1
# magic, format, compression (1 = zlib), salt, key check, chunk size
HEADER = struct.Struct(f">{len(MAGIC)}sBB16s16sI")


class SealError(Exception):
    """The file cannot be opened: wrong key, not a snapshot, damaged or cut off."""


def _derive(secret: str, salt: bytes) -> tuple[bytes, bytes]:
    material = HKDF(
        algorithm=hashes.SHA256(), length=48, salt=salt, info=b"shegong-backup-v1"
    ).derive(secret.encode())
    return material[:32], material[32:]


def _nonce(counter: int, last: bool) -> bytes:
    return struct.pack(">QBxxB", counter, 0, 1 if last else 0)


class SealedWriter(io.RawIOBase):
    """A write-only file object: what is written comes out compressed and sealed in ``out``."""

    def __init__(self, out: BinaryIO, *, secret: str) -> None:
        super().__init__()
        salt = os.urandom(16)
        key, check = _derive(secret, salt)
        self._header = HEADER.pack(MAGIC, FORMAT, 1, salt, check, CHUNK)
        self._aead = AESGCM(key)
        self._out = out
        self._zip = zlib.compressobj(ZLIB_LEVEL)
        self._pending = bytearray()
        self._counter = 0
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # noqa: ANN001 (bytes-like, as io wants)
        self._pending += self._zip.compress(data)
        while len(self._pending) > CHUNK:  # keep one full chunk back: it may be the last
            self._seal(bytes(self._pending[:CHUNK]), last=False)
            del self._pending[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = _nonce(self._counter, last)
        self._out.write(self._aead.encrypt(nonce, plain, self._header))
        self._counter += 1

    def finish(self) -> None:
        """Seal what is left as the last chunk: until then the file reads as cut off, so a
        run that fails half-way never leaves something that opens."""
        self._pending += self._zip.flush()
        while len(self._pending) > CHUNK:
            self._seal(bytes(self._pending[:CHUNK]), last=False)
            del self._pending[:CHUNK]
        self._seal(bytes(self._pending), last=True)
        self._pending.clear()
        self.close()


class SealedReader(io.RawIOBase):
    """A read-only file object over a sealed file: checks and decrypts chunk by chunk."""

    def __init__(self, source: BinaryIO, *, secret: str) -> None:
        super().__init__()
        header = source.read(HEADER.size)
        if not header.startswith(MAGIC[: len(header)]) or len(header) < len(MAGIC):
            raise SealError(_("This is not a shegong backup file."))
        if len(header) < HEADER.size:
            raise SealError(_("The backup file is incomplete (cut off)."))
        _magic, fmt, compression, salt, check, chunk = HEADER.unpack(header)
        if fmt != FORMAT or compression != 1:
            raise SealError(_("This backup file was written by a newer version of shegong."))
        key, expected = _derive(secret, salt)
        if check != expected:
            raise SealError(_("The backup key does not open this file: check SHEGONG_BACKUP_KEY."))
        self._header = header
        self._aead = AESGCM(key)
        self._source = source
        self._block = chunk + TAG
        self._counter = 0
        self._next = source.read(self._block)
        self._unzip = zlib.decompressobj()
        self._tail = b""  # compressed bytes the decompressor has not taken yet
        self._buffer = bytearray()
        self._done = False

    def readable(self) -> bool:
        return True

    def _open_chunk(self) -> bytes | None:
        """The next chunk's plaintext, or None after the last one."""
        if self._done:
            return None
        block, self._next = self._next, self._source.read(self._block)
        last = not self._next
        if not block:
            raise SealError(_("The backup file is incomplete (cut off)."))
        try:
            plain = self._aead.decrypt(_nonce(self._counter, last), block, self._header)
        except InvalidTag:
            if last and self._opens_as_middle(block):
                raise SealError(_("The backup file is incomplete (cut off).")) from None
            raise SealError(_("The backup file is damaged, cut off or has been altered.")) from None
        self._counter += 1
        self._done = last
        return plain

    def _opens_as_middle(self, block: bytes) -> bool:
        try:
            self._aead.decrypt(_nonce(self._counter, False), block, self._header)
        except InvalidTag:
            return False
        return True

    def readinto(self, target) -> int:  # noqa: ANN001 (a writable buffer, as io wants)
        want = len(target)
        while len(self._buffer) < want:
            if self._tail:
                data, self._tail = self._tail, b""
            else:
                data = self._open_chunk()
                if data is None:
                    if not self._unzip.eof:
                        raise SealError(
                            _("The backup file is damaged, cut off or has been altered.")
                        )
                    break
            try:
                # Bounded output: a chunk of zeros would otherwise inflate a thousandfold.
                self._buffer += self._unzip.decompress(data, 4 * CHUNK)
            except zlib.error:
                raise SealError(
                    _("The backup file is damaged, cut off or has been altered.")
                ) from None
            self._tail = self._unzip.unconsumed_tail
        size = min(want, len(self._buffer))
        target[:size] = self._buffer[:size]
        del self._buffer[:size]
        return size

"""Frames as devices send them (alerts.md §4.2). Pure: no Django import.

`decode_frame_text` turns the `frame` field into bytes: plain base64 (standard or URL-safe alphabet,
whitespace ignored, padding optional) or the Python bytes-literal form the seed's client produces with
`str(b64encode(...))` (`"b'...'"`). `inspect_image` accepts only a well-formed JPEG or PNG.

Checking an image costs a walk over its structure, not a pixel decode: a JPEG's markers up to the scan
(with a frame header of sane dimensions and an end-of-image marker after it), a PNG's chunks with their
CRCs (IHDR first, at least one IDAT, IEND last). That refuses anything that is not an image, truncated or
corrupted headers and wrong files renamed, at a fraction of a decode's cost, which keeps the ingest path
fast (hundreds of frames per second per process); a decoder can still meet corrupt entropy-coded data
inside an otherwise well-formed file, as with any camera stream.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from dataclasses import dataclass

JPEG_SIGNATURE = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STANDARD = re.compile(rb"^[A-Za-z0-9+/]*$")
_URLSAFE = re.compile(rb"^[A-Za-z0-9_-]*$")
_WHITESPACE = re.compile(rb"[ \t\n\r\f\v]+")
_LITERAL_ESCAPES = re.compile(rb"\\[nr]")
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); not C4 (DHT), C8 (JPG), CC (DAC).
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
MAX_DIMENSION = 65535


class FrameRejected(ValueError):
    """The frame cannot be stored; subclasses say why."""


class NotBase64(FrameRejected):
    pass


class NotAnImage(FrameRejected):
    pass


class FrameTooLarge(FrameRejected):
    pass


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "jpeg" or "png"
    width: int
    height: int

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else "png"


def decode_frame_text(text: str, *, max_bytes: int) -> bytes:
    """The bytes a `frame` string carries; `FrameTooLarge` is raised before decoding an oversize one."""
    if not isinstance(text, str):
        raise NotBase64("not a string")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise NotBase64("non-ASCII characters") from exc
    if len(raw) >= 3 and raw[:2] in (b"b'", b'b"') and raw[-1:] == raw[1:2]:
        raw = _LITERAL_ESCAPES.sub(b"", raw[2:-1])  # repr() of base64.encodebytes() output has "\n"
    raw = _WHITESPACE.sub(b"", raw)
    body = raw.rstrip(b"=")
    if len(raw) - len(body) > 2 or len(body) % 4 == 1:
        raise NotBase64("bad length or padding")
    if len(body) * 3 // 4 > max_bytes:
        raise FrameTooLarge(f"over {max_bytes} bytes")
    if _STANDARD.match(body):
        padded = body + b"=" * (-len(body) % 4)
    elif _URLSAFE.match(body):
        padded = body.translate(bytes.maketrans(b"-_", b"+/")) + b"=" * (-len(body) % 4)
    else:
        raise NotBase64("characters outside the base64 alphabet")
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error as exc:  # pragma: no cover - the checks above leave nothing for it to refuse
        raise NotBase64(str(exc)) from exc


def inspect_image(data: bytes, *, max_bytes: int) -> ImageInfo:
    """Format and size of a JPEG or PNG; `NotAnImage` / `FrameTooLarge` otherwise."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise NotAnImage("not bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise FrameTooLarge(f"over {max_bytes} bytes")
    if data.startswith(JPEG_SIGNATURE):
        return _inspect_jpeg(data)
    if data.startswith(PNG_SIGNATURE):
        return _inspect_png(data)
    raise NotAnImage("neither a JPEG nor a PNG signature")


def _inspect_jpeg(data: bytes) -> ImageInfo:
    size = len(data)
    pos = 2
    frame: tuple[int, int] | None = None
    while True:
        if pos >= size or data[pos] != 0xFF:
            raise NotAnImage("JPEG marker expected")
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            raise NotAnImage("JPEG truncated")
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            continue
        if marker in (0xD8, 0xD9, 0x00):
            raise NotAnImage("JPEG ends or restarts before its scan")
        if pos + 2 > size:
            raise NotAnImage("JPEG truncated")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > size:
            raise NotAnImage("JPEG segment overruns the file")
        if marker in _SOF_MARKERS:
            if length < 8:
                raise NotAnImage("JPEG frame header too short")
            _precision, height, width, components = struct.unpack_from(">BHHB", data, pos + 2)
            if not (width and height and 1 <= components <= 4 and length == 8 + 3 * components):
                raise NotAnImage("JPEG frame header invalid")
            frame = (width, height)
        if marker == 0xDA:  # start of scan: entropy-coded data follows, then EOI
            if frame is None:
                raise NotAnImage("JPEG scan before a frame header")
            if data.rfind(b"\xff\xd9", pos + length) < 0:
                raise NotAnImage("JPEG has no end-of-image marker")
            return ImageInfo("jpeg", *frame)
        pos += length


def _inspect_png(data: bytes) -> ImageInfo:
    size = len(data)
    pos = len(PNG_SIGNATURE)
    info: ImageInfo | None = None
    seen_idat = False
    while True:
        if pos + 12 > size:
            raise NotAnImage("PNG truncated")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 8 + length
        if end + 4 > size:
            raise NotAnImage("PNG chunk overruns the file")
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(data[pos + 4 : end]) != crc:
            raise NotAnImage("PNG chunk CRC mismatch")
        if info is None:
            if kind != b"IHDR" or length != 13:
                raise NotAnImage("PNG must start with IHDR")
            width, height, depth, color, _c, _f, _i = struct.unpack_from(">IIBBBBB", data, pos + 8)
            if not (0 < width <= 2**31 - 1 and 0 < height <= 2**31 - 1) or depth not in _PNG_DEPTHS.get(color, ()):
                raise NotAnImage("PNG header invalid")
            info = ImageInfo("png", width, height)
        elif kind == b"IDAT":
            seen_idat = True
        elif kind == b"IEND":
            if not seen_idat:
                raise NotAnImage("PNG without image data")
            return info
        pos = end + 4

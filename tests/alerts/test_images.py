"""alerts/images.py: the frame field's accepted forms and the cheap structural image check (alerts.md §4.2)."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from alerts import images
from tests.alerts.factories import jpeg_bytes, png_bytes

JPEG = jpeg_bytes()
PNG = png_bytes()
LIMIT = 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(JPEG).decode(),
        str(base64.b64encode(JPEG)),  # the seed client's "b'...'"
        'b"' + base64.b64encode(JPEG).decode() + '"',
        str(base64.encodebytes(JPEG)),  # repr with literal \n escapes
        base64.encodebytes(JPEG).decode(),  # real line breaks
        base64.b64encode(JPEG).decode().rstrip("="),  # no padding
        base64.urlsafe_b64encode(JPEG).decode(),
        "  " + base64.b64encode(JPEG).decode() + "\n",
    ],
)
def test_accepted_frame_forms_decode_to_the_same_bytes(text):
    assert images.decode_frame_text(text, max_bytes=LIMIT) == JPEG


@pytest.mark.parametrize("text", ["", "b''", "abcde", "ab$d", "é", "b'abc", "====", "QUJD=====", "a+b-"])
def test_not_base64(text):
    if text in ("", "b''"):
        assert images.decode_frame_text(text, max_bytes=LIMIT) == b""
        return
    with pytest.raises(images.NotBase64):
        images.decode_frame_text(text, max_bytes=LIMIT)


def test_oversize_text_is_refused_before_decoding():
    with pytest.raises(images.FrameTooLarge):
        images.decode_frame_text("A" * 1400, max_bytes=1000)
    assert len(images.decode_frame_text("A" * 1332, max_bytes=1000)) == 999


def test_jpeg_and_png_are_recognised_with_their_size():
    assert images.inspect_image(jpeg_bytes(16, 12), max_bytes=LIMIT) == images.ImageInfo("jpeg", 16, 12)
    assert images.inspect_image(png_bytes(8, 5), max_bytes=LIMIT) == images.ImageInfo("png", 8, 5)
    assert images.ImageInfo("jpeg", 1, 1).extension == "jpg"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + b"\x00" * 20,
        b"\xff\xd8\xff",  # signature only
        JPEG[: len(JPEG) // 2],  # truncated: no end of image
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200,  # garbage after the first segment
        JPEG.replace(b"\xff\xc0", b"\xff\xc4", 1)[:200] + b"\xff\xd9",  # no frame header before the scan
        PNG[:-12],  # no IEND
        PNG[:29] + bytes([PNG[29] ^ 0xFF]) + PNG[30:],  # IHDR CRC broken
        images.PNG_SIGNATURE
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 4, 8, 2, 0, 0, 0))
        + _png_chunk(b"IEND", b""),
        images.PNG_SIGNATURE
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + _png_chunk(b"IEND", b""),
    ],
)
def test_not_an_image(data):
    with pytest.raises(images.NotAnImage):
        images.inspect_image(data, max_bytes=LIMIT)


def test_oversize_image():
    with pytest.raises(images.FrameTooLarge):
        images.inspect_image(JPEG, max_bytes=len(JPEG) - 1)
    assert images.inspect_image(JPEG, max_bytes=len(JPEG)).format == "jpeg"


def test_a_real_camera_style_jpeg_with_trailing_bytes_is_accepted():
    assert images.inspect_image(JPEG + b"\x00\x00", max_bytes=LIMIT).format == "jpeg"

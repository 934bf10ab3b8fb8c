"""Photos are judged by their bytes: only real JPEG, PNG or WebP pictures within the limits,
and what is stored is re-drawn from the pixels, without EXIF (no GPS position of a home)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pilots import photos

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def picture(kind: str = "JPEG", size: tuple[int, int] = (40, 20), exif: Image.Exif | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.putpixel((0, 0), (0, 0, 255))
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, format=kind, **options)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    gps = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 9.1)}
    exif[GPS_IFD] = gps
    if orientation:
        exif[ORIENTATION] = orientation
    return exif


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (the classic decompression bomb)."""
    data = picture("PNG", (1, 1))
    ihdr_at = data.index(b"IHDR")
    header = bytearray(data[ihdr_at + 4: ihdr_at + 17])
    header[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(header)) & 0xFFFFFFFF)
    return data[:ihdr_at + 4] + bytes(header) + crc + data[ihdr_at + 21:]


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_are_stored_in_their_own_format(kind):
    stored = photos.clean_photo(upload(picture(kind), name="anything.bin"))
    assert stored.name.endswith("." + photos.FORMATS[kind])
    assert Image.open(io.BytesIO(stored.read())).format == kind


def test_jpeg_with_gps_is_stored_without_exif():
    original = picture("JPEG", exif=gps_exif())
    assert GPS_IFD in Image.open(io.BytesIO(original)).getexif()
    stored = Image.open(io.BytesIO(photos.clean_photo(upload(original)).read()))
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert stored.size == (40, 20)


def test_orientation_is_kept_by_turning_the_pixels():
    # Orientation 6: the camera was turned; the picture is shown rotated 90° clockwise.
    stored = Image.open(io.BytesIO(photos.clean_photo(upload(picture("JPEG", exif=gps_exif(6)))).read()))
    assert stored.size == (20, 40)
    assert ORIENTATION not in stored.getexif()


def test_gif_is_refused():
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, format="GIF")
    with pytest.raises(ValidationError, match="must be a JPEG, PNG or WebP picture"):
        photos.clean_photo(upload(out.getvalue(), name="tiny.gif", content_type="image/gif"))


def test_text_named_jpg_is_refused():
    with pytest.raises(ValidationError, match="must be a JPEG, PNG or WebP picture"):
        photos.clean_photo(upload(b"not a picture at all\n" * 10, name="holiday.jpg"))


def test_truncated_jpeg_is_refused():
    with pytest.raises(ValidationError, match="must be a JPEG, PNG or WebP picture"):
        photos.clean_photo(upload(picture("JPEG", (400, 400))[:300]))


@pytest.mark.parametrize("side", [6001, 50_000, 200_000])
def test_huge_dimensions_are_refused_before_decoding(side):
    with pytest.raises(ValidationError, match="at most 6000 × 6000 pixels"):
        photos.clean_photo(upload(png_bomb(side, side), name="bomb.png", content_type="image/png"))


def test_too_many_bytes_are_refused(monkeypatch):
    monkeypatch.setattr(photos, "MAX_BYTES", 100)
    with pytest.raises(ValidationError, match="smaller than 8 MB"):
        photos.clean_photo(upload(picture("PNG", (100, 100))))


def test_exactly_at_the_size_limit_is_accepted():
    stored = photos.clean_photo(upload(picture("PNG", (6000, 1))))
    assert Image.open(io.BytesIO(stored.read())).size == (6000, 1)

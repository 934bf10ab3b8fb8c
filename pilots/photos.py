"""Photos officers attach to their feedback: checked by what the bytes are, then re-drawn.

A photo from a phone carries EXIF data, often with the GPS position of the officer's home; a
file named .jpg may be anything; a small PNG can claim to be 100,000 pixels square and take all
the memory of the server that opens it. So a photo is accepted only when Pillow recognises it as
JPEG, PNG or WebP from its content, its size and dimensions are within the limits (read from the
header, before any pixel is decoded), and it is then re-encoded from its pixels alone: the
stored file keeps the picture (turned the way the camera meant) and nothing else.
"""

from __future__ import annotations

import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 6000
# Pillow's formats we accept, and the extension the stored file gets (the sender's is ignored).
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def clean_photo(upload: UploadedFile) -> ContentFile:
    """The upload as a new JPEG, PNG or WebP file without metadata, or a ValidationError whose
    message says what to do."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise _error(_("The photo must be smaller than 8 MB."), "too_big")
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _error(_("The photo must be smaller than 8 MB."), "too_big")
    not_a_picture = _error(_("The photo must be a JPEG, PNG or WebP picture."), "not_image")
    too_large = _error(
        _("The photo must be at most %(side)s × %(side)s pixels.") % {"side": MAX_SIDE}, "too_large"
    )
    try:
        # Pillow warns, then refuses, when the header announces a huge picture: both are refusals here.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width > MAX_SIDE or image.height > MAX_SIDE:
                raise too_large
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        # Not an image Pillow reads as one of our formats, or a truncated or damaged one.
        raise not_a_picture from None
    return _reencode(image)


def _reencode(image: Image.Image) -> ContentFile:
    """The picture's pixels only, turned upright by its EXIF orientation, in its own format."""
    kind = image.format
    upright = ImageOps.exif_transpose(image)  # a copy without the orientation tag
    if kind == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    if kind in ("PNG", "WEBP") and upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA")
    # Only what drawing needs survives: no EXIF, XMP, comments or text chunks.
    upright.info = {key: value for key, value in upright.info.items() if key in ("transparency",)}
    out = io.BytesIO()
    options: dict[str, object] = {"JPEG": {"quality": 90}, "PNG": {"optimize": True}, "WEBP": {"quality": 90}}[kind]
    upright.save(out, format=kind, exif=b"", **options)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{FORMATS[kind]}")

"""Scanned files as a clerk uploads them: what kind of file, how many pages, whether it can be
read at all, and its pages one at a time.

A file refused as a whole (empty, not an image, a damaged or encrypted PDF, too big, a
decompression bomb) raises FileRefused with a sentence that says why and what to do; the
web page and the `scan` command show that same sentence. The limits are documented here and
on the upload page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from surveys.paper import pagefiles
from surveys.paper.models import ScanFile

# Documented limits (upload page, `manage.py scan --help`). A 200 MB file is some 2,000 pages of a 300 dpi
# black-and-white scan; a 2,000-page file takes a few minutes to read. Larger jobs are split
# into several files, so that one bad file never holds back hours of work.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_PAGES_PER_FILE = pagefiles.MAX_PAGES_PER_FILE  # 2,000, the reader's own limit
# About A3 at 600 dpi; a picture claiming far more is a decompression bomb (a few kilobytes
# that would expand to gigabytes), not a scan. Checked from the header, before decoding.
MAX_PIXELS = pagefiles.MAX_PIXELS_PER_PAGE
# PDF pages are rendered at the reader's resolution (150 dpi: the reader works at 144).
RENDER_DPI = pagefiles.DEFAULT_PDF_DPI
# JPEGs (phone photos) are decoded reduced to this long side: what the reader needs, and fast.
JPEG_SIDE = 2400

PDF, TIFF, PNG, JPEG = "pdf", "tiff", "png", "jpeg"


def sniff(head: bytes) -> str | None:
    """The file's kind from its first bytes: names and browsers' content types can lie."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


class FileRefused(Exception):
    """The whole file cannot be read; the sentence says why and what to do."""


def _pdf_document(source):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(source)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise FileRefused(_("The PDF is protected with a password. Save it again without a password and upload it again.")) from None
        raise FileRefused(_("The PDF is damaged and cannot be opened. Scan the pages again or export the PDF again.")) from None


def _too_many_pages(count: int) -> FileRefused:
    return FileRefused(
        _("The file has %(count)s pages; at most %(limit)s pages per file can be read. Split it into smaller files.")
        % {"count": f"{count:,}", "limit": f"{MAX_PAGES_PER_FILE:,}"}
    )


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise FileRefused(
            _("The picture is %(width)s × %(height)s pixels, far larger than a scanned page (at most %(limit)s million pixels). Scan the page at 150 to 300 dpi.")
            % {"width": f"{width:,}", "height": f"{height:,}", "limit": MAX_PIXELS // 1_000_000}
        )


def _open_image(source) -> Image.Image:
    try:
        image = Image.open(source)
    except Image.DecompressionBombError:
        raise FileRefused(
            _("The picture is far larger than a scanned page (at most %(limit)s million pixels). Scan the page at 150 to 300 dpi.")
            % {"limit": MAX_PIXELS // 1_000_000}
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise FileRefused(_("The picture is damaged and cannot be opened. Scan the page again.")) from None
    _check_pixels(*image.size)
    return image


def count_pages(source: BinaryIO, kind: str) -> int:
    """Open the file as `kind` and count its pages, refusing what cannot be read as a whole."""
    if kind == PDF:
        document = _pdf_document(source)
        try:
            count = len(document)
        finally:
            document.close()
        if count == 0:
            raise FileRefused(_("The PDF has no pages."))
        if count > MAX_PAGES_PER_FILE:
            raise _too_many_pages(count)
        return count
    image = _open_image(source)
    count = getattr(image, "n_frames", 1)
    if count > MAX_PAGES_PER_FILE:
        raise _too_many_pages(count)
    for frame in range(count):
        try:
            image.seek(frame)
        except (EOFError, OSError):
            raise FileRefused(_("The picture is damaged and cannot be opened. Scan the page again.")) from None
        _check_pixels(*image.size)
    if kind in (PNG, JPEG):
        try:
            image.verify()  # checks the data, not only the header, without decoding it all
        except Exception:  # Pillow raises many kinds here; all mean the same to a clerk
            raise FileRefused(_("The picture is damaged and cannot be opened. Scan the page again.")) from None
    return count


def check_file(name: str, size: int, source: BinaryIO) -> tuple[str, int]:
    """(kind, pages) of an upload, or FileRefused with the reason."""
    if size == 0:
        raise FileRefused(_("The file is empty (0 bytes). Upload the file again."))
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            _("The file is %(size)s MB; at most %(limit)s MB per file can be uploaded. Split it into smaller files.")
            % {"size": f"{size / 1024 / 1024:,.0f}", "limit": MAX_FILE_BYTES // 1024 // 1024}
        )
    source.seek(0)
    kind = sniff(source.read(8))
    source.seek(0)
    if kind is None:
        raise FileRefused(_("This is not a scan: upload PDF, TIFF, PNG or JPEG files."))
    try:
        return kind, count_pages(source, kind)
    finally:
        source.seek(0)



def iter_pages(scan_file: ScanFile, skip: set[int] = frozenset()) -> Iterator[tuple[int, np.ndarray | Exception]]:
    """(1-based index, grayscale page) for each page of a stored file, one at a time.

    A page that cannot be decoded comes as its exception, so that one bad page of a TIFF does
    not stop the others. Pages in `skip` (already stored) are not decoded at all.
    """
    with scan_file.upload.open("rb") as source:
        yield from iter_source_pages(source, skip)


def iter_source_pages(source: BinaryIO, skip: set[int] = frozenset()) -> Iterator[tuple[int, np.ndarray | Exception]]:
    """The same for an open file that passed `check_file` (not stored yet: the scan command
    looks at a file's first pages to know which team it is for)."""
    kind = sniff(source.read(8))
    source.seek(0)
    if kind == PDF:
        # PDFium keeps every page's image data until the document closes, so a long file is
        # reopened every few pages; pages are decoded as the reader does (a scanned page's
        # JPEG directly, several times faster than drawing it).
        counted = _pdf_document(source)
        total = len(counted)
        counted.close()
        for start in range(1, total + 1, pagefiles.PDF_REOPEN_EVERY):
            source.seek(0)
            document = _pdf_document(source)
            try:
                for index in range(start, min(start + pagefiles.PDF_REOPEN_EVERY, total + 1)):
                    if index in skip:
                        continue
                    try:
                        yield index, _render_pdf_page(document[index - 1])
                    except Exception as error:  # a damaged page: report it for this page only
                        yield index, error
            finally:
                document.close()
        return
    image = _open_image(source)
    for index in range(1, getattr(image, "n_frames", 1) + 1):
        if index in skip:
            continue
        try:
            image.seek(index - 1)
            _check_pixels(*image.size)
            width, height = image.size
            if image.format == "JPEG" and max(width, height) > JPEG_SIDE:
                image.draft("L", (width * JPEG_SIDE // max(width, height), height * JPEG_SIDE // max(width, height)))
            yield index, np.asarray(image.convert("L"))
        except Exception as error:  # a truncated frame: report it for this page only
            yield index, error


def _render_pdf_page(page) -> np.ndarray:
    return pagefiles.pdf_page_gray(page, RENDER_DPI)

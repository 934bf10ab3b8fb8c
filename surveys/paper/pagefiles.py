"""Uploaded files as page images (pure: PDFium, Pillow and numpy, no Django).

`iter_pdf_pages` and `iter_image_pages` stream the pages of an uploaded file one at a time, so
a 500-page PDF never sits in memory, and refuse bad files with a sentence a clerk can act on
(ScanFileError, whose `reason` is a marks.Reason). `iter_file_pages` tells a PDF from an image
by its first bytes.

This is apart from surveys.paper.marks because it is a different job with different risks:
marks reads one page image (markers, QR, bubbles, boxes), this turns a file into page images -
decoding with PDFium and Pillow, fast paths for scanned JPEGs, and the limits that keep a
decompression bomb or a huge file from exhausting memory.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from surveys.paper.locate import PAGE_H
from surveys.paper.marks import Reason, gettext_noop

MAX_PAGES_PER_FILE = 2000  # a file with more pages is refused as a whole (documented limit)
MAX_PIXELS_PER_PAGE = 80_000_000  # ~A3 at 600 dpi; larger images are decompression bombs
DEFAULT_PDF_DPI = 150  # enough for reading (PX_PER_PT = 2 is 144 dpi), fast to render
PDF_REOPEN_EVERY = 25  # pages; bounds what PDFium caches of a long file (see iter_pdf_pages)


class ScanFileError(Exception):
    """A file refused as a whole: empty, not an image, corrupt or encrypted PDF, too many pages."""

    def __init__(self, template: str, **params):
        self.reason = Reason(template, **params)
        super().__init__(str(self.reason))


# ---------------------------------------------------------------------------------------------
# Files: stream pages one at a time


def _source_bytes_or_path(src: str | os.PathLike | bytes) -> str | bytes:
    if isinstance(src, (bytes, bytearray, memoryview)):
        if len(src) == 0:
            raise ScanFileError(gettext_noop("the file is empty"))
        return bytes(src)
    path = Path(src)
    try:
        if path.stat().st_size == 0:
            raise ScanFileError(gettext_noop("the file is empty"))
    except OSError:
        raise ScanFileError(gettext_noop("the file cannot be opened")) from None
    return str(path)


def _open_pdf(data: str | bytes):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower() or "security" in str(error).lower():
            raise ScanFileError(gettext_noop("the PDF is encrypted (password protected); save it without a "
                                             "password and upload it again")) from None
        raise ScanFileError(gettext_noop("the PDF is damaged and cannot be read")) from None


def iter_pdf_pages(src: str | os.PathLike | bytes, dpi: int = DEFAULT_PDF_DPI) -> Iterator[np.ndarray]:
    """Each page of a PDF as a grey uint8 array (see pdf_page_gray), one at a time. Raises
    ScanFileError before the first page for an empty, corrupt or encrypted PDF or one with more
    than MAX_PAGES_PER_FILE pages, and for a damaged page when it comes to it.

    Give a path for large files: bytes are held whole. PDFium keeps every page's parsed image
    data until the document is closed (0.6-0.9 MB per scanned page), so the document is opened
    afresh every PDF_REOPEN_EVERY pages: memory stays flat however long the file is."""
    import pypdfium2 as pdfium

    data = _source_bytes_or_path(src)
    if isinstance(data, bytes) and not data.lstrip()[:5].startswith(b"%PDF"):
        raise ScanFileError(gettext_noop("the file is not a PDF"))
    pdf = _open_pdf(data)
    try:
        count = len(pdf)
        if count == 0:
            raise ScanFileError(gettext_noop("the PDF has no pages"))
        if count > MAX_PAGES_PER_FILE:
            raise ScanFileError(gettext_noop("the PDF has %(count)d pages; at most %(limit)d pages per file "
                                             "are read, split it into smaller files"),
                                count=count, limit=MAX_PAGES_PER_FILE)
        for index in range(count):
            if index and index % PDF_REOPEN_EVERY == 0:
                pdf.close()
                pdf = _open_pdf(data)
            page = pdf[index]
            try:
                array = pdf_page_gray(page, dpi)
            except pdfium.PdfiumError:
                raise ScanFileError(gettext_noop("page %(page)d of the PDF is damaged"), page=index + 1) from None
            finally:
                page.close()
            yield array
    finally:
        pdf.close()


def pdf_page_gray(page, dpi: int = DEFAULT_PDF_DPI) -> np.ndarray:
    """One pypdfium2 page as a grey uint8 array at about `dpi`.

    A page that is one scanned JPEG (what scanners write) is decoded from the JPEG itself with
    DCT scaling, 3-4x faster than PDFium decoding it at full size and scaling it down; any
    other page is drawn by PDFium. A page so large it would exceed MAX_PIXELS_PER_PAGE is drawn
    smaller instead of exhausting memory. Raises pypdfium2.PdfiumError for a damaged page."""
    import pypdfium2 as pdfium

    scanned = _scanned_jpeg(page, pdfium)
    if scanned is not None:
        try:
            return next(iter_image_pages(scanned, min_side=int(PAGE_H * dpi / 72)))
        except (ScanFileError, StopIteration):
            pass  # let PDFium draw it instead
    w, h = page.get_size()
    scale = dpi / 72.0
    if w * h * scale * scale > MAX_PIXELS_PER_PAGE:
        scale = float(np.sqrt(MAX_PIXELS_PER_PAGE / max(w * h, 1.0)))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        array = bitmap.to_numpy()
        return np.array(array[:, :, 0] if array.ndim == 3 else array, copy=True)
    finally:
        bitmap.close()


def _scanned_jpeg(page, pdfium) -> bytes | None:
    """The JPEG behind a page that is nothing but one scanned image (what scanners write).

    Decoding it ourselves with DCT scaling is 3-4x faster than having PDFium decode it at full
    size and scale it down. The image's placement on the page does not matter: the markers
    give the geometry, in any rotation."""
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium.raw.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    try:
        if image.get_filters() != ["DCTDecode"]:
            return None
        data = bytes(image.get_data(decode_simple=False))
    except pdfium.PdfiumError:
        return None
    return data if data[:2] == b"\xff\xd8" else None


def pdf_page_count(src: str | os.PathLike | bytes) -> int:
    """Number of pages, with the same refusals as iter_pdf_pages (for a progress bar's total)."""
    pdf = _open_pdf(_source_bytes_or_path(src))
    try:
        return len(pdf)
    finally:
        pdf.close()


IMAGE_FORMATS = frozenset({"PNG", "JPEG", "MPO", "TIFF"})


def iter_image_pages(src: str | os.PathLike | bytes, min_side: int = 1700) -> Iterator[np.ndarray]:
    """Each frame of a PNG, JPEG or (multi-page) TIFF as a grey uint8 array, one at a time.

    Refuses (ScanFileError) an empty file, a file that is not one of these images, more than
    MAX_PAGES_PER_FILE frames, or a frame above MAX_PIXELS_PER_PAGE pixels (checked from the
    header before any pixel is decoded: a decompression bomb never gets decoded). A JPEG is
    decoded reduced (DCT scaling by 1/2, 1/4, 1/8) as far as its long side stays >= `min_side`
    (1700 px: 2 px per point for an A4 page that fills the picture); that halves decoding time."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    data = _source_bytes_or_path(src)
    fp = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 MP at open; our own, lower limit below refuses such pages.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fp)
        with image:
            if image.format not in IMAGE_FORMATS:
                raise ScanFileError(gettext_noop("the file is not a PDF, TIFF, PNG or JPEG image"))
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_PAGES_PER_FILE:
                raise ScanFileError(gettext_noop("the image has %(count)d pages; at most %(limit)d pages per "
                                                 "file are read, split it into smaller files"),
                                    count=frames, limit=MAX_PAGES_PER_FILE)
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                w, h = frame.size
                if w * h > MAX_PIXELS_PER_PAGE:
                    raise ScanFileError(gettext_noop("page %(page)d is %(w)d x %(h)d pixels, too large to be a "
                                                     "scanned page"), page=index + 1, w=w, h=h)
                if image.format in ("JPEG", "MPO") and max(w, h) >= 2 * min_side:
                    frame.draft("L", (-(-w * min_side // max(w, h)), -(-h * min_side // max(w, h))))
                try:
                    grey = frame.convert("L")
                except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
                    raise ScanFileError(gettext_noop("page %(page)d of the image is damaged"),
                                        page=index + 1) from None
                yield np.asarray(grey)
    except UnidentifiedImageError:
        raise ScanFileError(gettext_noop("the file is not a PDF, TIFF, PNG or JPEG image")) from None
    except Image.DecompressionBombError:
        raise ScanFileError(gettext_noop("the image is too large to be a scanned page")) from None
    except (OSError, SyntaxError):
        raise ScanFileError(gettext_noop("the image is damaged and cannot be read")) from None


def iter_file_pages(src: str | os.PathLike | bytes, dpi: int = DEFAULT_PDF_DPI) -> Iterator[np.ndarray]:
    """Pages of any accepted file, told apart by their first bytes, not by their name."""
    data = _source_bytes_or_path(src)
    if isinstance(data, str):
        with open(data, "rb") as fh:
            head = fh.read(1024)
    else:
        head = data[:1024]
    if b"%PDF" in head[:1024]:
        return iter_pdf_pages(src, dpi)
    return iter_image_pages(src)

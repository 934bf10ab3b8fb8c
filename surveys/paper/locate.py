"""Finding where the page is in an image, and which page it is (pure: numpy and OpenCV, no Django).

`find_markers(work)` finds the four ArUco corner markers (DICT_4X4_50, ids 0-3 clockwise from
the top left) and refines their corners to sub-pixel; `_fit` turns them into a homography onto
the straightened frame (PX_PER_PT pixels per PDF point) from the page points `marker_corners`
or the layout gives. `find_qr` decodes the page's QR code (`CL1|site|survey|version|serial|page`,
see `parse_qr`) from the straightened page, or from the whole image when no page could be fitted.

This is apart from surveys.paper.marks, which reads the bubbles and writing boxes once the page
is straightened and decides the answers: locating a page is detection on the raw scan or photo
(its own detector settings, retries and fallbacks), reading one is measurement in a known frame.
The page geometry both use (PAGE_W, PAGE_H, PX_PER_PT) lives here, in the lower of the two, so
marks imports from this module and never the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

# Page geometry of the shared contract (points from the page's top-left corner, y down).
PAGE_W, PAGE_H = 595.28, 841.89
MARKER_SIZE = 39.69  # 14 mm
MARKER_MARGIN = 28.35  # outer corner 10 mm from the page edges
MARKER_IDS = (0, 1, 2, 3)  # top-left, top-right, bottom-right, bottom-left

PX_PER_PT = 2.0  # the straightened frame: 144 dpi, a 3 mm bubble is 17 px across its radius

# Where the QR is printed (surveys.paper.layout.qr_box(): x, y, size in points; a test keeps
# the two equal) - read first, as a small crop; then, should a layout ever move it, anywhere
# in the strip between the two top markers.
QR_EXPECTED = (445.66, 28.35, 62.36)
QR_SEARCH = (70.0, 8.0, 525.0, 128.0)  # x0, y0, x1, y1 in points
DETECT_SIDE = 800  # px, long side of the copy markers are looked for in

_QR_RE = re.compile(r"^CL1\|([0-9a-f]{8})\|([0-9]{1,12})\|([0-9]{1,9})\|([0-9]{1,18})\|([0-9]{1,4})$")


@dataclass(frozen=True)
class QrPayload:
    site: str
    survey: int
    version: int
    serial: int
    page: int

    def text(self) -> str:
        return f"CL1|{self.site}|{self.survey}|{self.version}|{self.serial}|{self.page}"


def parse_qr(text: str | None) -> QrPayload | None:
    """The payload of a CityLab page's QR code, or None for anything else."""
    match = _QR_RE.match((text or "").strip())
    if not match:
        return None
    site, survey, version, serial, page = match.groups()
    if int(page) < 1:
        return None
    return QrPayload(site, int(survey), int(version), int(serial), int(page))


# ---------------------------------------------------------------------------------------------
# Geometry


def marker_corners(page_w: float = PAGE_W, page_h: float = PAGE_H) -> dict[int, np.ndarray]:
    """Each marker's four corners in page points, in ArUco's order (TL, TR, BR, BL of the marker)."""
    m, s = MARKER_MARGIN, MARKER_SIZE
    origins = {0: (m, m), 1: (page_w - m - s, m), 2: (page_w - m - s, page_h - m - s), 3: (m, page_h - m - s)}
    return {i: np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], np.float32)
            for i, (x, y) in origins.items()}


def _layout_markers(layout: dict, page: dict) -> dict[int, np.ndarray] | None:
    entries = page.get("markers") or layout.get("markers")
    if not entries:
        return None
    if isinstance(entries, list) and entries and isinstance(entries[0], list):
        entries = entries[0]  # a list per page: every page has the same geometry
    try:
        return {int(e["id"]): np.asarray(e["corners"], np.float32).reshape(4, 2) for e in entries}
    except (KeyError, TypeError, ValueError):
        return None


def _detector(small_markers: bool = False) -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    # Markers are 14 mm: at the detection scale (~1.2 px/pt) about 48 px across. Photos bring
    # uneven light, so a range of adaptive threshold windows; no sub-pixel refinement here
    # (it is done afterwards on the finer working image).
    params.adaptiveThreshWinSizeMin = 5
    params.adaptiveThreshWinSizeMax = 35
    params.adaptiveThreshWinSizeStep = 10
    params.minMarkerPerimeterRate = 0.02 if small_markers else 0.06
    params.maxMarkerPerimeterRate = 1.0
    params.polygonalApproxAccuracyRate = 0.05
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    return cv2.aruco.ArucoDetector(dictionary, params)


def find_markers(work: np.ndarray) -> dict[int, np.ndarray]:
    """The corner markers (ids 0-3) found in `work`, as 4x2 float32 corners in its pixels.

    Detection runs on a copy reduced to DETECT_SIDE px (a marker is then ~35 px, 6 px per
    module: plenty for ArUco, and 4x cheaper than at 2 px/pt); the corners are then refined
    to sub-pixel on `work`. Only when markers are missing: contrast evened out (CLAHE), then a
    finer copy with small markers allowed."""
    h, w = work.shape
    found: dict[int, np.ndarray] = {}
    for side, clahe, small_markers in ((DETECT_SIDE, False, False), (DETECT_SIDE, True, True),
                                       (2 * DETECT_SIDE, True, True)):
        scale = min(1.0, side / max(h, w))
        img = cv2.resize(work, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR) if scale < 1 else work
        if clahe:
            img = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(img)
        for mid, corners in _detect(img, _detector(small_markers)).items():
            found.setdefault(mid, corners / scale)
        if len(found) == 4:
            break
    if not found:
        return {}
    win = max(3, int(round(MARKER_SIZE / 12 * max(h, w) / PAGE_H)))  # about half a module
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05)
    pts = np.concatenate(list(found.values())).astype(np.float32).reshape(-1, 1, 2)
    pts = cv2.cornerSubPix(work, pts, (win, win), (-1, -1), criteria).reshape(-1, 4, 2)
    return {mid: pts[i] for i, mid in enumerate(found)}


def _detect(img: np.ndarray, detector: cv2.aruco.ArucoDetector, scale: float = 1.0) -> dict[int, np.ndarray]:
    corners, ids, _ = detector.detectMarkers(img)
    found: dict[int, np.ndarray] = {}
    if ids is None:
        return found
    for c, mid in zip(corners, ids.ravel(), strict=True):
        mid = int(mid)
        if mid not in MARKER_IDS:
            continue
        c = c.reshape(4, 2).astype(np.float32)
        # Keep the largest if an id shows twice (a marker printed elsewhere on the page).
        if mid not in found or cv2.arcLength(c, True) > cv2.arcLength(found[mid], True):
            found[mid] = c
    return found


def _fit(found: dict[int, np.ndarray], page_markers: dict[int, np.ndarray]) -> tuple[np.ndarray | None, float]:
    """Homography image -> straightened frame, and the inliers' RMS error in frame pixels."""
    ids = [i for i in found if i in page_markers]
    src = np.concatenate([found[i] for i in ids]).astype(np.float32)
    dst = np.concatenate([page_markers[i] for i in ids]).astype(np.float32) * PX_PER_PT
    H, mask = cv2.findHomography(src, dst, cv2.RANSAC, 4.0)
    if H is None:
        return None, float("inf")
    inl = mask.ravel().astype(bool)
    if inl.sum() < 8:
        return None, float("inf")
    proj = cv2.perspectiveTransform(src[inl].reshape(-1, 1, 2), H).reshape(-1, 2)
    rms = float(np.sqrt(np.mean(np.sum((proj - dst[inl]) ** 2, axis=1))))
    return H, rms


# ---------------------------------------------------------------------------------------------
# QR


def _decode(img: np.ndarray, aruco: bool = False) -> QrPayload | None:
    try:
        detector = cv2.QRCodeDetectorAruco() if aruco else cv2.QRCodeDetector()
        text, _pts, _ = detector.detectAndDecode(img)
    except cv2.error:
        return None
    return parse_qr(text)


def find_qr(straightened: np.ndarray | None, gray: np.ndarray, H: np.ndarray | None = None) -> QrPayload | None:
    """Decode the page's QR. Fast path: the strip between the top markers of the straightened
    page. Then, for blurred or small codes: that strip warped again at twice the resolution
    from the working image (cubic), with both OpenCV decoders, and binarised; last, the whole
    image and the image turned 180° (when no homography could be fitted)."""
    if straightened is not None:
        qx, qy, qs = QR_EXPECTED
        quiet = 12.0
        crop = straightened[int((qy - quiet) * PX_PER_PT):int((qy + qs + quiet) * PX_PER_PT),
                            int((qx - quiet) * PX_PER_PT):int((qx + qs + quiet) * PX_PER_PT)]
        payload = _decode(crop)
        if payload:
            return payload
        x0, y0, x1, y1 = (int(v * PX_PER_PT) for v in QR_SEARCH)
        strip = straightened[y0:y1, x0:x1]
        payload = _decode(strip)
        if payload:
            return payload
        if H is not None:
            up = np.array([[2.0, 0, -2 * x0], [0, 2.0, -2 * y0], [0, 0, 1]]) @ H
            strip = cv2.warpPerspective(gray, up, (2 * (x1 - x0), 2 * (y1 - y0)), flags=cv2.INTER_CUBIC,
                                        borderMode=cv2.BORDER_REPLICATE)
        else:
            strip = cv2.resize(strip, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        payload = _decode(strip) or _decode(strip, aruco=True)
        if payload:
            return payload
        sharp = cv2.addWeighted(strip, 2.0, cv2.GaussianBlur(strip, (0, 0), 3), -1.0, 0)
        binary = cv2.adaptiveThreshold(sharp, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 51, 10)
        payload = _decode(binary) or _decode(sharp, aruco=True)
        if payload:
            return payload
    h, w = gray.shape
    scale = min(1.0, 2000 / max(h, w))
    img = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    return _decode(img) or _decode(cv2.rotate(img, cv2.ROTATE_180))

"""Speed, accuracy and memory of the paper mark reader (pure: no Django, no database).

    .venv/bin/python bench/paper_scan.py [--pages 300] [--seed 4] [--calibrate] [--memory-pages 500]

1. Speed: pages per second on ONE core (OpenCV limited to one thread), decode included, for
   scans at 200 and 300 dpi delivered as a PDF of JPEG pages (rendered by PDFium at 150 dpi,
   as the upload task does) and as JPEG files (decoded reduced by Pillow's DCT scaling).
2. Accuracy on generated pages: "scan" (flatbed: small rotation, light blur and noise, JPEG
   70-95, some upside down) and "photo" (phone: ±10°, perspective, shadow down to half the
   light, grey paper, blur, noise, JPEG 50-90). Respondents' marks follow MARK_MIX; 1% of the
   one-answer questions get two marks (they must be held). Counted per choice question:
   wrong = decided automatically and not what was marked; review = held for a clerk.
   Pages misidentified = a QR payload read that is not the page's own.
3. Peak memory (max RSS of a child process) while streaming a 500-page PDF through the reader.

--calibrate prints the darkness distribution per mark kind (what the thresholds rest on).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveys.paper import marks, pagefiles  # noqa: E402  (pure, no Django)
from surveys.paper.locate import QrPayload  # noqa: E402
from surveys.paper.marks import read_page  # noqa: E402
from surveys.paper.pagefiles import iter_image_pages, iter_pdf_pages  # noqa: E402
from surveys.paper.layout import layout_survey  # noqa: E402
from surveys.paper.render import render_pdf  # noqa: E402
from surveys.paper.synthetic import PHOTO, SCAN, degrade, draw_mark, layout_lookup, sample_spec  # noqa: E402

SITE = "0badc0de"
# How respondents mark an answer (shares of marks): pen fills, ticks and crosses mostly, some pencil.
MARK_MIX = {"fill": 0.30, "tick": 0.25, "cross": 0.25, "scribble": 0.08, "pencil_fill": 0.06,
            "pencil_cross": 0.03, "pencil_tick": 0.03}
BLANK_SHARE = 0.08  # choice questions left blank
TWO_MARKS_SHARE = 0.01  # one-answer questions with two marks


def the_layout(serials):
    """The real layout (surveys.paper.layout) of a survey with every question kind."""
    return layout_survey(sample_spec(7, 2), languages=("zh-hans", "en"), serials=serials, site=SITE).as_json()


def printed_pages(n_pages, dpi, first_serial=5000):
    """(serial, page number, layout, clean page image) for n_pages printed pages, streamed."""
    layout = the_layout([])
    per_sheet = len(layout["pages"])
    serials = [first_serial + i for i in range(-(-n_pages // per_sheet))]
    # Printed a few hundred sheets at a time: one PDF of them all would pass the reader's
    # page limit (pagefiles.MAX_PAGES_PER_FILE) on a large --pages, and hold it all in memory.
    chunk = max(1, 500 // per_sheet)
    index = 0
    for start in range(0, len(serials), chunk):
        pdf = io.BytesIO()
        render_pdf(layout, pdf, serials[start:start + chunk])
        for img in iter_pdf_pages(pdf.getvalue(), dpi=dpi):
            if index >= n_pages:
                return
            yield serials[index // per_sheet], 1 + index % per_sheet, layout, img
            index += 1


def mark_sheet(img, layout, page_no, dpi, rng):
    """Marks on a clean page, and what the respondent meant: {question: [values] or "hold"}."""
    page = layout["pages"][page_no - 1]
    kinds = list(MARK_MIX)
    p = np.array(list(MARK_MIX.values()))
    truth, used = {}, []
    by_q = defaultdict(list)
    for b in page["bubbles"]:
        by_q[b["question"]].append(b)
    qkind = {q["key"]: q["kind"] for q in page["questions"]}
    for key, bubbles in by_q.items():
        u = rng.random()
        if u < BLANK_SHARE:
            truth[key] = []
            continue
        if qkind[key] == "multiple":
            n = int(rng.integers(1, min(3, len(bubbles)) + 1))
            chosen = sorted(rng.choice(len(bubbles), n, replace=False))
        elif u < BLANK_SHARE + TWO_MARKS_SHARE:
            chosen = sorted(rng.choice(len(bubbles), 2, replace=False))
        else:
            chosen = [int(rng.integers(len(bubbles)))]
        for i in chosen:
            kind = kinds[rng.choice(len(kinds), p=p)]
            draw_mark(img, bubbles[i], kind, dpi, rng)
            used.append((key, bubbles[i]["value"], kind))
        values = [bubbles[i]["value"] for i in chosen]
        truth[key] = "hold" if (qkind[key] != "multiple" and len(values) > 1) else values
    return img, truth, used


def accuracy(profile, n_pages, seed, dpi, calibrate=None):
    rng = np.random.default_rng(seed)
    layout_for = layout_lookup({(SITE, 7, 2): the_layout([])})
    counts = defaultdict(int)
    for i, (serial, page_no, layout, clean) in enumerate(printed_pages(n_pages, dpi)):
        clean, truth, used = mark_sheet(clean, layout, page_no, dpi, rng)
        img = degrade(clean, rng, profile)
        result = read_page(img, layout_for)
        counts["pages"] += 1
        if result.payload is not None and result.payload != QrPayload(SITE, 7, 2, serial, page_no):
            counts["misidentified"] += 1
        if result.status == "unreadable":
            counts["unreadable"] += 1
            counts["why: " + str(result.reason)] += 1
            counts["questions"] += len(truth)
            counts["review"] += len(truth)
            continue
        held = {h.question_key for h in result.holds if h.kind == "choice"}
        for key, want in truth.items():
            counts["questions"] += 1
            if key in held:
                counts["review"] += 1
                if want == "hold":
                    counts["two_marks_held"] += 1
            elif want == "hold" or sorted(result.answers[key], key=str) != sorted(want, key=str):
                counts["wrong"] += 1
                if os.environ.get("PAPER_BENCH_DEBUG"):
                    print(f"  wrong: {profile.name} page {i} {key}: wanted {want}, read {result.answers[key]}, "
                          f"marks {[u for u in used if u[0] == key]}, darkness {result.darkness.get(key)}")
                    cv2.imwrite(f"/tmp/wrong_{profile.name}_{i}.png", img)
        if calibrate is not None:
            marked = {(k, v): kind for k, v, kind in used}
            for key, values in result.darkness.items():
                for value, d in values.items():
                    match = [kind for (k, v), kind in marked.items() if k == key and str(v) == value]
                    calibrate[profile.name, match[0] if match else "empty"].append(d)
    return counts


def speed(dpi, n_pages, seed):
    """Pages/s on one core: PDF of JPEG pages, and JPEG files; decode included."""
    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    layout_for = layout_lookup({(SITE, 7, 2): the_layout([])})
    jpegs = []
    for serial, page_no, layout, clean in printed_pages(min(n_pages, 12), dpi, 9000):
        clean, _, _ = mark_sheet(clean, layout, page_no, dpi, rng)
        img = degrade(clean, rng, SCAN)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        jpegs.append(buf.tobytes())
    jpegs = (jpegs * (n_pages // len(jpegs) + 1))[:n_pages]
    pdf = io.BytesIO()
    frames = [Image.open(io.BytesIO(j)) for j in jpegs]
    frames[0].save(pdf, format="PDF", save_all=True, append_images=frames[1:], resolution=dpi)
    pdf = pdf.getvalue()
    out = {}
    start = time.process_time()
    ok = 0
    for gray in iter_pdf_pages(pdf, dpi=pagefiles.DEFAULT_PDF_DPI):
        ok += read_page(gray, layout_for).status != "unreadable"
    out["pdf"] = (n_pages / (time.process_time() - start), ok)
    start = time.process_time()
    ok = 0
    for data in jpegs:
        for gray in iter_image_pages(data):
            ok += read_page(gray, layout_for).status != "unreadable"
    out["jpeg"] = (n_pages / (time.process_time() - start), ok)
    # The reading alone, image already decoded (what a faster decoder could approach).
    decoded = [next(iter_image_pages(j)) for j in jpegs[:12]]
    start = time.process_time()
    for i in range(n_pages):
        read_page(decoded[i % len(decoded)], layout_for)
    out["read"] = (n_pages / (time.process_time() - start), n_pages)
    return out


def memory_child(path):
    import tracemalloc

    tracemalloc.start()
    layout_for = layout_lookup({(SITE, 7, 2): the_layout([])})
    n = ok = 0
    for gray in iter_pdf_pages(path, dpi=pagefiles.DEFAULT_PDF_DPI):
        result = read_page(gray, layout_for)
        ok += result.status != "unreadable"
        n += 1
    _, peak = tracemalloc.get_traced_memory()
    # VmHWM is this process's own peak; ru_maxrss would carry over the parent's from before exec.
    try:
        status = Path("/proc/self/status").read_text()
        rss = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024
    except (OSError, StopIteration):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} {ok} {rss:.0f} {peak / 2**20:.0f}")


def memory(n_pages, seed):
    rng = np.random.default_rng(seed)
    frames = []
    for serial, page_no, layout, clean in printed_pages(10, 300, 9500):
        clean, _, _ = mark_sheet(clean, layout, page_no, 300, rng)
        ok, buf = cv2.imencode(".jpg", degrade(clean, rng, SCAN), [cv2.IMWRITE_JPEG_QUALITY, 85])
        frames.append(Image.open(io.BytesIO(buf.tobytes())))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"paper_bench_{os.getpid()}.pdf"
    seq = [frames[i % len(frames)] for i in range(n_pages)]
    seq[0].save(path, format="PDF", save_all=True, append_images=seq[1:], resolution=300)
    try:
        size = path.stat().st_size / 2**20
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(path)], capture_output=True, text=True,
                             check=True).stdout.split()
        n, ok, rss, heap = (int(v) for v in out)
        return n, ok, rss, heap, size
    finally:
        path.unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="generated pages per profile for accuracy")
    parser.add_argument("--speed-pages", type=int, default=60)
    parser.add_argument("--memory-pages", type=int, default=500)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: speed,accuracy,memory")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    skip = set(args.skip.split(","))
    print(f"thresholds: LOW {marks.LOW}  HIGH {marks.HIGH}  inner disc {marks.INNER} r")
    if "speed" not in skip:
        print("\nSpeed, one core, decode included (process CPU time)")
        print(f"{'scan dpi':>8} {'PDF pages/s':>12} {'JPEG pages/s':>13} {'read only':>10} {'read ok':>8}")
        for dpi in (200, 300):
            s = speed(dpi, args.speed_pages, args.seed)
            print(f"{dpi:>8} {s['pdf'][0]:>12.1f} {s['jpeg'][0]:>13.1f} {s['read'][0]:>10.1f} "
                  f"{min(s['pdf'][1], s['jpeg'][1])}/{args.speed_pages:<4}")
    if "accuracy" not in skip:
        cal = defaultdict(list) if args.calibrate else None
        print(f"\nAccuracy, {args.pages} pages per profile; marks: "
              + ", ".join(f"{k} {v:.0%}" for k, v in MARK_MIX.items()))
        print(f"{'profile':>8} {'dpi':>4} {'questions':>9} {'wrong':>6} {'wrong %':>8} {'95% bound':>9} "
              f"{'review %':>9} {'w/o 2 marks':>11} {'2 marks held':>12} {'unreadable':>10} {'misidentified':>13}")
        for profile, dpi in ((SCAN, 200), (SCAN, 300), (PHOTO, 150), (PHOTO, 200)):
            c = accuracy(profile, args.pages, args.seed, dpi, cal)
            q = max(c["questions"], 1)
            # With 0 wrong of n, the 95% upper bound of the wrong rate is about 3/n (rule of three).
            bound = 100 * max(3, c["wrong"] + 3 * np.sqrt(max(c["wrong"], 1))) / q
            print(f"{profile.name:>8} {dpi:>4} {c['questions']:>9} {c['wrong']:>6} {100 * c['wrong'] / q:>7.3f}% "
                  f"{bound:>8.2f}% {100 * c['review'] / q:>8.2f}% "
                  f"{100 * (c['review'] - c['two_marks_held']) / q:>10.2f}% {c['two_marks_held']:>12} "
                  f"{c['unreadable']:>10} {c['misidentified']:>13}")
            for why, n in sorted((k, v) for k, v in c.items() if k.startswith("why: ")):
                print(f"{'':>13}{n} unreadable: {why[5:]}")
        if cal is not None:
            print("\nDarkness per mark kind (percentiles 0, 1, 5, 50, 95, 99, 100)")
            for (prof, kind), values in sorted(cal.items()):
                pc = np.percentile(values, [0, 1, 5, 50, 95, 99, 100])
                print(f"{prof:>6} {kind:>13} n={len(values):>5} " + " ".join(f"{v:.3f}" for v in pc))
    if "memory" not in skip:
        n, ok, rss, heap, size = memory(args.memory_pages, args.seed)
        print(f"\nMemory: {n}-page PDF ({size:.0f} MB, 300 dpi JPEG pages), streamed: peak RSS {rss} MB, "
              f"peak traced heap {heap} MB, {ok} pages read")


if __name__ == "__main__":
    main()

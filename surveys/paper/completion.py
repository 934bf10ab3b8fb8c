"""Scanned sheets become responses, and clerks' decisions finish them.

- `complete_sheet`: once all of a sheet's pages are in and nothing awaits a clerk, the answers
  the machine read and the clerks' decisions (`sheet_answers`) become one Response through
  `response_record`, with submission key "paper:<serial>": a sheet scanned twice is one
  response, however it is rescanned. Paper rules (`paper_rules`) require no answer. Answers
  that still do not fit their question go back to the queue as review items, with the
  question's region cut from the page (`crop_question`).
- `decide`: record a clerk's decision on one review item; the sheet may then complete.

Called after each page is stored (surveys.paper.scanning), after each decision (the review
pages) and after a page is identified (surveys.paper.identify).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.messages import error_message
from surveys.models import Channel, Kind, Response, Survey
from surveys.paper.models import PageStatus, ReviewItem, ReviewKind, ScanPage, Sheet
from surveys.services import ResponseInvalid, SurveyRules, response_record, survey_rules


def png_file(image: np.ndarray) -> ContentFile:
    """An image as a PNG file to store: the crops of review items, and the pages kept."""
    import cv2

    ok, data = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ValueError("PNG encoding failed")
    return ContentFile(data.tobytes())


def paper_rules(survey: Survey) -> SurveyRules:
    """The survey's rules for paper: nothing is required, since a resident may leave a
    question blank on paper and nobody can ask them again; every other check still applies."""
    rules = survey_rules(survey)
    return dataclasses.replace(rules, specs=[dataclasses.replace(spec, required=False) for spec in rules.specs])


def sheet_answers(sheet: Sheet, pages: list[ScanPage]) -> dict[str, object]:
    """Choice answers read by the machine, then the clerks' decisions (later ones win)."""
    answers: dict[str, object] = {}
    for page in pages:
        answers.update(page.answers)
    items = (ReviewItem.objects.filter(page__in=pages).exclude(decided_at=None).exclude(kind=ReviewKind.PAGE)
             .order_by("decided_at", "pk"))
    for item in items:
        decision = item.decision or {}
        if decision.get("blank"):
            answers.pop(item.question_key, None)
        elif "text" in decision:
            answers[item.question_key] = decision["text"]
        else:
            answers[item.question_key] = list(decision.get("values", []))
    community = sheet.batch.community
    if community is not None:
        # Forms printed for one community: the community is known without asking.
        for question in sheet.batch.survey.questions.filter(kind=Kind.COMMUNITY):
            if not answers.get(question.key):
                answers[question.key] = community.code
    return answers


def complete_sheet(sheet: Sheet, *, user=None) -> Response | None:
    """Write the sheet's Response when all its pages are in and nothing awaits a clerk.

    Answers that still do not fit their question (a clerk's typed number out of range, say)
    go back to the queue as a review item with the reason, and the response waits.
    """
    sheet = Sheet.objects.select_related("batch__survey", "batch__community").get(pk=sheet.pk)
    if sheet.response_id:
        return None
    expected = len(sheet.batch.layout.get("pages", []))
    pages = list(ScanPage.objects.filter(sheet=sheet).exclude(status=PageStatus.DUPLICATE).select_related("file"))
    if expected == 0 or {p.page for p in pages} != set(range(1, expected + 1)):
        return None
    if ReviewItem.objects.filter(page__in=pages, decided_at=None).exists():
        return None
    survey = sheet.batch.survey
    rules = paper_rules(survey)
    answers = sheet_answers(sheet, pages)
    key = f"paper:{sheet.serial}"
    existed = Response.objects.filter(submission_key=key).exists()
    try:
        response = response_record(survey=survey, answers=answers, channel=Channel.PAPER,
                                   submission_key=key, entered_by=user, rules=rules)
    except ResponseInvalid as invalid:
        _send_back(sheet, pages, invalid, rules)
        return None
    created = not existed
    Sheet.objects.filter(pk=sheet.pk).update(response=response)
    return response if created else None


def question_regions(layout: dict) -> Iterator[dict]:
    """Each question's region (for crops): the layout lists them per page, or at the top."""
    yield from layout.get("questions", [])
    for page in layout.get("pages", []):
        for region in page.get("questions", []):
            yield {"page": page.get("page"), **region}


def _question_page(sheet: Sheet, key: str, pages: list[ScanPage]) -> ScanPage:
    for region in question_regions(sheet.batch.layout):
        if region.get("key") == key:
            for page in pages:
                if page.page == region.get("page"):
                    return page
    return next((p for p in pages if key in p.answers), pages[-1])


def crop_question(page: ScanPage, key: str) -> np.ndarray | None:
    """The question's region cut from the stored straightened page, when there is one."""
    if not page.image or page.sheet is None or not page.aligned:
        return None
    region = next((r for r in question_regions(page.sheet.batch.layout) if r.get("key") == key), None)
    if region is None:
        return None
    import cv2

    with page.image.open("rb") as stored:
        image = cv2.imdecode(np.frombuffer(stored.read(), np.uint8), cv2.IMREAD_GRAYSCALE)
    scale = image.shape[1] / page.sheet.batch.layout["page_size_pt"][0]
    x0, y0 = int(region["x"] * scale), int(region["y"] * scale)
    x1, y1 = int((region["x"] + region["w"]) * scale), int((region["y"] + region["h"]) * scale)
    return image[max(y0, 0):y1, max(x0, 0):x1]


def _send_back(sheet: Sheet, pages: list[ScanPage], invalid: ResponseInvalid, rules: SurveyRules) -> None:
    by_key = rules.by_key
    for key, error in invalid.errors.items():
        question = by_key.get(key)
        page = _question_page(sheet, key, pages)
        text_kinds = (Kind.SHORT_TEXT, Kind.LONG_TEXT, Kind.NUMBER)
        item = ReviewItem(
            page=page, question_key=key,
            kind=ReviewKind.TEXT if question is not None and question.kind in text_kinds else ReviewKind.CHOICE,
            reason=(_("The answer does not fit the question: %(error)s.") % {"error": error_message(error, question)})[:200],
            machine_read={"answer": sheet_answers(sheet, pages).get(key)},
        )
        crop = crop_question(page, key)
        if crop is not None and crop.size:
            item.crop.save(f"crop-{page.pk}-{key}.png", png_file(crop), save=False)
        item.save()
        if page.status == PageStatus.OK:
            ScanPage.objects.filter(pk=page.pk).update(status=PageStatus.REVIEW)


def decide(item: ReviewItem, decision: dict, *, user) -> Response | None:
    """Record a clerk's decision on one item; the sheet may then become a response."""
    if item.kind == ReviewKind.PAGE:
        raise ValueError("a page to identify is decided by surveys.paper.identify")
    item.decision = decision
    item.decided_by = user
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "decided_by", "decided_at"])
    # The page keeps the status the machine gave it: "review" says a clerk decided part of it.
    page = item.page
    if page.sheet_id is None:
        return None
    return complete_sheet(page.sheet, user=user)

"""The demo city's needs survey about the new face-recognition doors, with a few hundred answers.

The survey itself is a JSON definition in surveys/demo_data/ (also an example of the
interchange format). Answers are drawn from a fixed random seed with the patterns the pilot
in Lanhai is about: older residents and people without a smartphone use the new doors less
and find them harder, and answer on paper or through a clerk more often. Every answer goes
through the same response store as a real one; running again adds nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from citylab.models import AgeBand, Community, Occupation, PopulationFigure, Team
from surveys.definitions import create_survey
from surveys.interchange import parse_definition
from surveys.models import Channel, Response, Survey
from surveys.services import response_record, survey_rules

DEFINITION = Path(__file__).parent / "demo_data" / "door-access.json"
RESPONSES = 360
SEED = 2026

COMMENTS = [
    "晚上楼道太暗，刷了好几次都不行。",
    "希望保留门禁卡，我老伴记不住怎么刷脸。",
    "社区服务站的小刘帮我登记的，很耐心。",
    "保姆每天来，每次都要下楼开门，很麻烦。",
    "屏幕上的字太小了，看不清提示。",
    "挺方便的，拿快递不用掏卡了。",
    "不知道人脸信息存在哪里，有点担心。",
    "戴口罩的时候总是认不出来。",
]


def _weighted(rng: random.Random, options: dict[str, float]) -> str:
    return rng.choices(list(options), weights=list(options.values()))[0]


def _answers(rng: random.Random, band: AgeBand, district: str, communities: list[str], occupations: list[str]) -> tuple[dict, str]:
    """One resident's answers and the channel they used, shaped by their age."""
    older = band.min_age >= 60
    oldest = band.min_age >= 70
    smartphone = _weighted(
        rng, {"none": 0.55, "basic": 0.35, "confident": 0.1} if oldest
        else {"none": 0.15, "basic": 0.45, "confident": 0.4} if older
        else {"none": 0.02, "basic": 0.18, "confident": 0.8}
    )
    used = rng.random() < {"none": 0.1, "basic": 0.45, "confident": 0.85}[smartphone]
    answers: dict[str, object] = {
        "age": band.code if rng.random() > 0.03 else "prefer_not_to_say",
        "district": district,
        "smartphone": smartphone,
        "used_new": "yes" if used else "no",
        "keep_card": "yes" if rng.random() < (0.85 if older else 0.4) else "no",
    }
    if communities and rng.random() < 0.85:
        answers["community"] = rng.choice(communities)
    if rng.random() < 0.9:
        answers["occupation"] = "retired" if older and rng.random() < 0.8 else rng.choice(occupations)
    if used:
        weights = {
            "slow": 0.25, "glasses_mask": 0.45 if older else 0.25, "dark": 0.2,
            "small_text": 0.5 if older else 0.1, "privacy": 0.2, "visitors": 0.3 if older else 0.1,
        }
        answers["problems"] = [value for value, p in weights.items() if rng.random() < p]
        answers["ease"] = str(max(1, min(5, round(rng.gauss(2.6 if older else 4.0, 1.0)))))
    else:
        answers["why_not"] = _weighted(
            rng,
            {"not_registered": 0.3, "needs_phone": 0.3, "privacy": 0.15, "prefer_card": 0.2, "not_installed": 0.05}
            if older else
            {"not_registered": 0.15, "needs_phone": 0.05, "privacy": 0.3, "prefer_card": 0.2, "not_installed": 0.3},
        )
    if rng.random() < 0.9:
        answers["help_wanted"] = _weighted(
            rng, {"desk": 0.45, "volunteers": 0.3, "video": 0.15, "none": 0.1} if older
            else {"desk": 0.15, "volunteers": 0.1, "video": 0.35, "none": 0.4}
        )
    if rng.random() < 0.2:
        answers["comments"] = rng.choice(COMMENTS)
    channel = _weighted(
        rng, {Channel.WEB: 0.2, Channel.PAPER: 0.55, Channel.ASSISTED: 0.25} if oldest
        else {Channel.WEB: 0.45, Channel.PAPER: 0.35, Channel.ASSISTED: 0.2} if older
        else {Channel.WEB: 0.85, Channel.PAPER: 0.1, Channel.ASSISTED: 0.05}
    )
    return answers, channel


def seed_demo(*, team: Team) -> str:
    """Create the door survey (if missing) and its demo responses; say what exists."""
    survey = Survey.objects.filter(slug="door-access-2026").first()
    if survey is None:
        survey = create_survey(parse_definition(DEFINITION.read_bytes()), team=team)
    existing = survey.responses.count()
    if existing < RESPONSES:
        _add_responses(survey)
    return f"survey {survey.slug!r} with {survey.responses.count()} responses"


@transaction.atomic
def _add_responses(survey: Survey) -> None:
    # Repeatable demo answers: nothing here is secret.
    rng = random.Random(SEED)  # nosec B311
    cells = list(PopulationFigure.objects.select_related("age_band", "district"))
    communities: dict[int, list[str]] = {}
    for code, district_id in Community.objects.values_list("code", "district_id"):
        communities.setdefault(district_id, []).append(code)
    occupations = [code for code in Occupation.objects.values_list("code", flat=True) if code != "retired"]
    now = timezone.now()
    rules = survey_rules(survey)
    for number in range(RESPONSES):
        # Fishing Harbour and Old Town host the pilot, so their residents answer more often.
        cell = rng.choices(
            cells, weights=[c.population * (3 if c.district.code in ("laocheng", "yugang") else 1) for c in cells]
        )[0]
        answers, channel = _answers(
            rng, cell.age_band, cell.district.code, communities.get(cell.district_id, []), occupations or ["retired"]
        )
        response = response_record(
            survey=survey, answers=answers, channel=channel, submission_key=f"demo:{survey.slug}:{number}",
            rules=rules,
        )
        submitted = now - timedelta(days=rng.uniform(0, 21), hours=rng.uniform(0, 10))
        Response.objects.filter(pk=response.pk).update(submitted_at=submitted)

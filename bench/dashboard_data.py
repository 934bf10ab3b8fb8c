"""Make a city's worth of survey responses for the dashboard benchmarks.

    .venv/bin/python bench/dashboard_data.py --responses 1000000 [--postgres] [--path FILE]

Seeds the demo city into a scratch database (a new SQLite file, or the local PostgreSQL
database `citylab_bench_dashboards`, dropped and created again), adds six more districts so that there
are 12 districts x 5 age bands = 60 segments with population figures, and a pilot with five
cycles, each with its own evaluation survey: a yes/no adoption question, a 1-5 satisfaction
scale and a multiple-choice question. Then it writes the responses, split evenly over the
five cycles, with their answers, spread over each cycle's weeks and over the four channels.

Rows go in with bulk inserts in batches of 10,000 and ids chosen here (no RETURNING round
trip): `executemany` in one transaction per batch on SQLite, COPY on PostgreSQL.
`bench/dashboards.py` imports `generate` and `add_responses` from here.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 10_000
CYCLES = 5
CYCLE_DAYS = 42  # six weeks of answers per cycle
START = datetime(2026, 1, 5, tzinfo=UTC)
CHANNELS = ("web", "paper", "assisted", "imported")
CHANNEL_SHARE = (0.55, 0.25, 0.15, 0.05)
HELP_CHOICES = ("signs", "staff", "large_text", "family")
EXTRA_DISTRICTS = (
    ("beihu", "北湖区", "North Lake"), ("dongshan", "东山区", "East Hill"), ("nanwan", "南湾区", "South Bay"),
    ("xiling", "西岭区", "West Ridge"), ("huayuan", "花园区", "Garden District"), ("binjiang", "滨江区", "Riverside"),
)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Its own database: the other benches drop and create `citylab_bench`, and may run meanwhile.
PG_DB = "citylab_bench_dashboards"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"


def use_database(postgres: bool, path: str | None = None) -> str:
    """Point Django at a fresh scratch database, migrate it and seed the demo city."""
    if postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["DATABASE_URL"] = PG_URL
    else:
        file = Path(path) if path else Path(tempfile.mkdtemp()) / "dashboards.sqlite3"
        file.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{file}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citylab.settings")
    os.environ["CITYLAB_DEBUG"] = "true"  # the demo refuses to seed otherwise
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.db import DatabaseError, transaction

    from citylab import demo
    from citylab.models import Team

    call_command("migrate", verbosity=0)
    # seed_demo's steps one by one: a failing app hook (the pilots' decisions use
    # SELECT ... FOR UPDATE over an outer join, which PostgreSQL refuses) must not stop the bench.
    demo.seed_demo(stdout=None)
    team = Team.objects.get(code=demo.TEAM.code)
    for config in apps.get_app_configs():
        hook = getattr(config, "seed_demo", None)
        if callable(hook):
            try:
                with transaction.atomic():
                    hook(team=team)
            except DatabaseError as error:
                print(f"warning: the {config.label} demo was not seeded: {error}".strip(), file=sys.stderr)
    return os.environ["DATABASE_URL"]


@dataclass
class BenchData:
    pilot_id: int
    cycle_ids: list[int]
    survey_ids: list[int]
    questions: list[tuple[int, int, int]]  # (adoption, satisfaction, multiple choice) per cycle
    districts: list[int]
    bands: list[int]
    written: int = 0
    next_response: int = 1
    next_answer: int = 1


def generate() -> BenchData:
    """The 60 segments, the pilot, its five cycles and their surveys; no responses yet."""
    from citylab.models import AgeBand, District, PopulationFigure, Team
    from pilots.models import Cycle, Pilot, Stage
    from surveys.models import Answer, Choice, Kind, Question, Response, Status, Survey

    bands = list(AgeBand.objects.order_by("min_age"))
    for code, zh, en in EXTRA_DISTRICTS:
        district, _created = District.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
        for i, band in enumerate(bands):
            PopulationFigure.objects.get_or_create(
                district=district, age_band=band, defaults={"population": 20_000 + 7_000 * ((i * 3 + len(code)) % 5)}
            )
    districts = list(District.objects.order_by("code"))
    team = Team.objects.get(code="digital")
    pilot = Pilot.objects.create(team=team, name="City app, large-font (bench)", service="bench-app")
    cycle_ids, survey_ids, questions = [], [], []
    for number in range(1, CYCLES + 1):
        survey = Survey.objects.create(
            team=team, slug=f"bench-cycle-{number}", title_zh=f"大字版应用评估 第{number}轮",
            title_en=f"Large-font app evaluation, cycle {number}", status=Status.OPEN,
        )
        used = Question.objects.create(survey=survey, key="used", kind=Kind.YES_NO, position=1,
                                       text_zh="这个月您用过这个应用吗？", text_en="Did you use the app this month?")
        score = Question.objects.create(survey=survey, key="score", kind=Kind.SCALE, position=2, min_value=1,
                                        max_value=5, text_zh="您满意吗？", text_en="How satisfied are you?")
        helped = Question.objects.create(survey=survey, key="helped", kind=Kind.MULTIPLE, position=3, required=False,
                                         text_zh="什么帮到了您？", text_en="What helped you?")
        Choice.objects.bulk_create(
            [Choice(question=helped, value=v, label_zh=v, label_en=v.replace("_", " ").capitalize(), position=i)
             for i, v in enumerate(HELP_CHOICES, 1)]
        )
        cycle = Cycle.objects.create(
            pilot=pilot, number=number, stage=Stage.OPTIMIZING if number < CYCLES else Stage.PILOTING,
            survey=survey, adoption_question=used, adopted_values=["yes"],
            satisfaction_question=score, satisfied_values=["4", "5"],
            starts_on=(START + timedelta(days=(number - 1) * CYCLE_DAYS)).date(),
            ends_on=(START + timedelta(days=number * CYCLE_DAYS - 1)).date(),
        )
        cycle_ids.append(cycle.pk)
        survey_ids.append(survey.pk)
        questions.append((used.pk, score.pk, helped.pk))
    last_response = Response.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_answer = Answer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return BenchData(pilot.pk, cycle_ids, survey_ids, questions, [d.pk for d in districts], [b.pk for b in bands],
                     next_response=last_response + 1, next_answer=last_answer + 1)


def _batch(data: BenchData, cycle: int, count: int, rng: np.random.Generator):
    """Rows for `count` responses of cycle `cycle` (0-based) and their answers."""
    n_bands, n_districts = len(data.bands), len(data.districts)
    # Older residents answer less, the more so in the outer districts: the dashboards' "who is missing".
    band_share = np.array([0.26, 0.27, 0.22, 0.15, 0.10][:n_bands])
    band_share = band_share / band_share.sum()
    district_share = np.linspace(1.6, 0.6, n_districts)
    district_share = district_share / district_share.sum()
    band = rng.choice(n_bands, count, p=band_share)
    district = rng.choice(n_districts, count, p=district_share)
    channel = rng.choice(len(CHANNELS), count, p=CHANNEL_SHARE)
    seconds = rng.integers(0, CYCLE_DAYS * 86_400, count)
    missing = rng.random(count) < 0.01  # a few skipped a segment question
    # Adoption rises over the cycles, least for the oldest at first (the large-font story).
    rate = np.clip(0.35 + 0.1 * cycle + 0.05 * (2 - band) + 0.03 * cycle * (band >= 3), 0.05, 0.95)
    adopted = rng.random(count) < rate
    score = np.clip(np.round(rng.normal(3.4 + 0.2 * cycle, 1.0, count)), 1, 5).astype(int)
    ticked = rng.random((count, len(HELP_CHOICES))) < np.array([0.35, 0.2, 0.3, 0.15])
    base = START + timedelta(days=cycle * CYCLE_DAYS)
    survey_id = data.survey_ids[cycle]
    used_q, score_q, help_q = data.questions[cycle]
    responses, answers = [], []
    answer_id = data.next_answer
    for i in range(count):
        response_id = data.next_response + i
        responses.append((
            response_id, survey_id, 1, CHANNELS[channel[i]], base + timedelta(seconds=int(seconds[i])),
            None if missing[i] else data.bands[band[i]], data.districts[district[i]],
        ))
        answers.append((answer_id, response_id, used_q, "yes" if adopted[i] else "no"))
        answers.append((answer_id + 1, response_id, score_q, str(score[i])))
        answer_id += 2
        for j in np.flatnonzero(ticked[i]):
            answers.append((answer_id, response_id, help_q, HELP_CHOICES[j]))
            answer_id += 1
    data.next_response += count
    data.next_answer = answer_id
    return responses, answers


RESPONSE_COLUMNS = "id, survey_id, survey_version, channel, submitted_at, age_band_id, district_id"
ANSWER_COLUMNS = "id, response_id, question_id, value"


def _write(responses, answers) -> None:
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY surveys_response ({RESPONSE_COLUMNS}) FROM STDIN") as copy:
                    for row in responses:
                        copy.write_row(row)
                with raw.copy(f"COPY surveys_answer ({ANSWER_COLUMNS}, text) FROM STDIN") as copy:
                    for row in answers:
                        copy.write_row((*row, ""))
            else:
                # SQLite keeps datetimes as UTC text, as Django writes them.
                cursor.executemany(
                    f"INSERT INTO surveys_response ({RESPONSE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(*r[:4], r[4].strftime("%Y-%m-%d %H:%M:%S"), *r[5:]) for r in responses],
                )
                cursor.executemany(
                    f"INSERT INTO surveys_answer ({ANSWER_COLUMNS}, text) VALUES (%s, %s, %s, %s, '')", answers
                )


def add_responses(data: BenchData, total: int, seed: int = 7) -> None:
    """Write responses until there are `total`, split evenly over the cycles."""
    from django.db import connection

    rng = np.random.default_rng(seed + data.written)
    while data.written < total:
        count = min(BATCH, total - data.written)
        per_cycle = np.bincount(np.arange(data.written, data.written + count) % CYCLES, minlength=CYCLES)
        for cycle, n in enumerate(per_cycle):
            if n:
                _write(*_batch(data, cycle, int(n), rng))
        data.written += count
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("surveys_response", "surveys_answer"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute("ANALYZE surveys_response")
            cursor.execute("ANALYZE surveys_answer")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help=f"use the local database {PG_DB}")
    parser.add_argument("--path", help="SQLite file to (re)create; a temporary one by default")
    args = parser.parse_args()
    url = use_database(args.postgres, args.path)
    data = generate()
    start = time.perf_counter()
    add_responses(data, args.responses)
    print(f"{args.responses:,} responses in {time.perf_counter() - start:.0f} s into {url}")
    print(f"surveys: {', '.join(f'bench-cycle-{n}' for n in range(1, CYCLES + 1))}; pilot id {data.pilot_id}")


if __name__ == "__main__":
    main()

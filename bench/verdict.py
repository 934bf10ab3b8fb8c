"""Time of the readiness verdict, and SQL queries for a cycle's verdict from survey answers.

    .venv/bin/python bench/verdict.py [--repeat 20] [--responses 1000,10000,100000] [--postgres]

Part 1 is pure: the verdict for 100, 1,000 and 10,000 segments (with a previous cycle and
population cells, so every step runs), median and worst of N runs. The pilots issue's
target: 10,000 segments in under 200 ms.

Part 2 writes survey answers with bulk inserts into a scratch database (SQLite, or the
local PostgreSQL database `citylab_bench` with --postgres) and evaluates the cycle at each
size: the queries must not grow with the responses, and the answers are never loaded into
Python. The responses are seconds old, so none is settled into the kept counts yet
(surveys/tallies.py) and each evaluation counts them all: this is the cost of a full count;
bench/dashboards.py measures the kept path ("evaluate_cycle" cold and warm). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pilots.verdict import evaluate  # noqa: E402  (pure, no Django)
from pilots.verdict_types import Counts, Population, Thresholds  # noqa: E402


def synthetic(segments: int, rng: np.random.Generator, shift: float = 0.0) -> Counts:
    n = rng.integers(20, 400, segments)
    rate = np.clip(rng.normal(0.62 + shift, 0.15, segments), 0, 1)
    adopters = rng.binomial(n, rate)
    rated = adopters
    satisfied = rng.binomial(rated, 0.8)
    districts = tuple(f"district-{i // 100:03d}" for i in range(segments))
    bands = tuple(f"band-{i % 100:02d}" for i in range(segments))
    return Counts(districts, bands, n, adopters, satisfied, rated)


def pure(repeat: int) -> None:
    rng = np.random.default_rng(2026)
    rules = Thresholds(adoption_target=0.6, equity_floor=0.4, satisfaction_target=0.7, viability_floor=0.15, min_n=30)
    print("Verdict from counts (pure NumPy): previous cycle, population cells, all reasons written")
    print(f"{'segments':>9} {'median ms':>10} {'worst ms':>9}  verdict")
    for segments in (100, 1_000, 10_000):
        current, previous = synthetic(segments, rng), synthetic(segments, rng, shift=-0.1)
        population = Population(current.district, current.age_band, rng.integers(500, 20_000, segments).astype(float))
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = evaluate(current, rules, previous=previous, population=population)
            result.sentences()
            times.append((time.perf_counter() - start) * 1000)
        print(f"{segments:>9} {statistics.median(times):>10.1f} {max(times):>9.1f}  {result.verdict}")


def database(sizes: list[int], postgres: bool) -> None:
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS citylab_bench")
            conn.execute("CREATE DATABASE citylab_bench")
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/citylab_bench"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citylab.settings")
    os.environ["CITYLAB_DEBUG"] = "true"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))

    from citylab.models import AgeBand, District, Team
    from pilots.evaluation import evaluate_cycle
    from pilots.models import Cycle, Pilot, Stage
    from surveys.models import Answer, Channel, Choice, Kind, Question, Response, Status, Survey

    team = Team.objects.first()
    survey = Survey.objects.create(team=team, slug="bench-eval", title_zh="评估", status=Status.OPEN)
    used = Question.objects.create(survey=survey, key="used", kind=Kind.YES_NO, text_zh="用过吗？", position=1)
    score = Question.objects.create(survey=survey, key="score", kind=Kind.SCALE, text_zh="满意吗？", position=2,
                                    min_value=1, max_value=5)
    Choice.objects.bulk_create([Choice(question=used, value=v, label_zh=v, position=i) for i, v in
                                enumerate(["yes", "no"], 1)])
    pilot = Pilot.objects.create(team=team, name="Bench pilot", service="bench")
    cycle = Cycle.objects.select_related("adoption_question", "satisfaction_question").create(pilot=pilot, number=1, stage=Stage.PILOTING, survey=survey, adoption_question=used,
                                 adopted_values=["yes"], satisfaction_question=score, satisfied_values=["4", "5"])
    districts = list(District.objects.all())
    bands = list(AgeBand.objects.all())
    rng = np.random.default_rng(7)
    print(f"\nVerdict from survey answers in {connection.vendor}: one cycle, {len(districts) * len(bands)} segments")
    print(f"{'responses':>10} {'queries':>8} {'median ms':>10}")
    written = 0
    for size in sizes:
        batch = 5_000
        while written < size:
            count = min(batch, size - written)
            responses = Response.objects.bulk_create(
                Response(survey=survey, survey_version=survey.version, channel=Channel.WEB, district=districts[i % len(districts)],
                         age_band=bands[(i // 7) % len(bands)])
                for i in range(written, written + count)
            )
            adopted = rng.random(count) < 0.6
            scores = rng.integers(1, 6, count)
            Answer.objects.bulk_create(
                [Answer(response=r, question=used, value="yes" if a else "no") for r, a in zip(responses, adopted)]
                + [Answer(response=r, question=score, value=str(s)) for r, s in zip(responses, scores)],
                batch_size=5_000,
            )
            written += count
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                evaluate_cycle(cycle)
                times.append((time.perf_counter() - start) * 1000)
        print(f"{size:>10} {len(queries.captured_queries):>8} {statistics.median(times):>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--responses", default="1000,10000,100000")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    pure(args.repeat)
    database(sorted(int(s) for s in args.responses.split(",") if s), args.postgres)


if __name__ == "__main__":
    main()

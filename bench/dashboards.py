"""SQL queries and server time of the dashboards at 10,000 and at 1,000,000 responses.

    .venv/bin/python bench/dashboards.py [--sizes 10000,1000000] [--engines sqlite,postgres] [--repeat 5]

For each engine (a scratch SQLite file; the local PostgreSQL database `citylab_bench_dashboards`,
dropped and created again) it seeds the demo city and the bench pilot (`bench/dashboard_data.py`: 60
segments, five cycles, each cycle its own evaluation survey), then for each size writes the
responses (split evenly over the five cycles' surveys) and measures, signed in as the planner:

- the survey dashboard of the last cycle's survey, without and with filters;
- the pilot dashboard (issue #7), the pilot page, and `evaluate_cycle` on its own.

Every page is measured as the real code runs it, three ways:

- "empty": no count is kept (after a deploy, a cache flush, an edit in every survey, or the
  hourly full count): every survey of the page is counted in full in SQL;
- "cold": the first request after a new response to the latest cycle's survey (the one still
  collecting; the earlier cycles' surveys are closed), written by `response_record` before each
  run: the kept counts (surveys/tallies.py) plus a count of the responses above the kept id;
- "warm": a later request with no newer response. The responses of the last ten minutes are not
  settled yet (the commit horizon), so they are counted above the kept id here too.

`evaluate_cycle` (the pilot page's verdict) keeps nothing: it is counted in SQL every time.
Times are medians of --repeat runs; empty runs are repeated by moving every survey's edit
generation (`surveys.tallies.bump`, as an edited response does). The issue's goal: the same
queries at both sizes, and at most 3x the time of the smallest size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard_data import add_responses, generate, use_database  # noqa: E402

GOAL = 3.0


def _measure(run, *, repeat: int, before=None) -> tuple[int, float]:
    """(queries of the last run, median ms); `before` runs untimed before each run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(repeat):
        if before:
            before()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(captured.captured_queries)
    return queries, statistics.median(times)


def bench_engine(engine: str, sizes: list[int], repeat: int) -> list[tuple]:
    use_database(engine == "postgres", None)
    from django.test import Client

    from citylab.models import User
    from pilots.evaluation import evaluate_cycle
    from pilots.models import Cycle
    from surveys.models import Answer, Channel, Response
    from surveys.services import response_record, survey_rules
    from surveys.tallies import bump

    data = generate()
    planner = User.objects.get(email="planner@lanhai.example")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(planner)
    cycles = list(Cycle.objects.select_related("pilot", "adoption_question", "satisfaction_question")
                  .filter(pk__in=data.cycle_ids).order_by("number"))
    slug = cycles[-1].survey.slug

    def page(url: str):
        def run():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return run

    latest = cycles[-1].survey
    rules = survey_rules(latest)

    def count_again():
        for survey_id in data.survey_ids:
            bump(survey_id)

    def new_response():
        response_record(survey=latest, answers={"used": "yes", "score": "4", "helped": ["signs"]},
                        channel=Channel.WEB, rules=rules)

    cases = [
        ("survey dashboard", page(f"/staff/surveys/{slug}/dashboard/")),
        ("survey dashboard, filtered", page(f"/staff/surveys/{slug}/dashboard/?district=laocheng&age_band=70%2B&channel=paper")),
        ("survey dashboard, dates", page(f"/staff/surveys/{slug}/dashboard/?date_from=2026-07-01&date_to=2026-07-14")),
        ("pilot dashboard", page(f"/staff/pilots/{data.pilot_id}/dashboard/")),
        ("pilot page", page(f"/staff/pilots/{data.pilot_id}/")),
        ("evaluate_cycle", lambda: evaluate_cycle(cycles[-1], cycles[-2])),
    ]
    # Load the URLs, templates and translations once, so the first size does not pay for them.
    for _name, run in cases:
        try:
            run()
        except AssertionError as error:
            print(f"warning: {error}", file=sys.stderr)

    rows = []
    for size in sizes:
        add_responses(data, size)
        per_survey = size // len(data.survey_ids)
        for name, run in cases:
            try:
                empty = _measure(run, repeat=max(1, repeat // 2), before=count_again)
                cold = _measure(run, repeat=max(1, repeat // 2), before=new_response)
                warm = _measure(run, repeat=repeat)
            except AssertionError as error:
                print(f"warning: {name}: {error}", file=sys.stderr)
                continue
            rows.append((engine, size, per_survey, name, *empty, *cold, *warm))
            print(f"{engine:<10} {size:>9,} {per_survey:>9,} {name:<28} {empty[0]:>6} {empty[1]:>9.1f} "
                  f"{cold[0]:>5} {cold[1]:>9.1f} {warm[0]:>5} {warm[1]:>8.1f}", flush=True)
        # The bulk writer picks its own ids: past those of the responses written meanwhile.
        data.next_response = Response.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
        data.next_answer = Answer.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    return rows


def verdicts(rows: list[tuple]) -> None:
    print(f"\nAgainst the goal (same queries, time at most {GOAL:g}x the smallest size):")
    by_case: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        by_case.setdefault((row[0], row[3]), []).append(row)
    for (engine, name), found in by_case.items():
        small, large = found[0], found[-1]
        if small is large:
            continue
        for label, q, ms in (("empty", 4, 5), ("cold", 6, 7), ("warm", 8, 9)):
            ratio = large[ms] / small[ms] if small[ms] else float("inf")
            same = small[q] == large[q]
            ok = same and ratio <= GOAL
            print(f"  {engine:<10} {name:<28} {label}: queries {small[q]} -> {large[q]}"
                  f"{'' if same else ' (CHANGED)'}, time x{ratio:.1f}  {'meets' if ok else 'MISSES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    engines = [e for e in args.engines.split(",") if e]
    if len(engines) > 1:
        # One Django setup per process: run each engine in its own process.
        import subprocess

        for engine in engines:
            subprocess.run([sys.executable, __file__, "--sizes", args.sizes, "--engines", engine,
                            "--repeat", str(args.repeat)], check=True)
        return
    print(f"{'engine':<10} {'responses':>9} {'/survey':>9} {'page':<28} {'emptyQ':>6} {'empty ms':>9} "
          f"{'coldQ':>5} {'cold ms':>9} {'warmQ':>5} {'warm ms':>8}")
    verdicts(bench_engine(engines[0], sizes, args.repeat))


if __name__ == "__main__":
    main()

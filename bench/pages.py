"""Server time and SQL queries for the foundation's pages, on the demo city.

    .venv/bin/python bench/pages.py [--repeat N]

Runs against a scratch SQLite database, seeds the demo city, signs in each persona and prints, per page: queries per request
and median / 95th-percentile server time over N requests. A baseline to compare later
changes against; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ["CITYLAB_DEBUG"] = "true"  # the demo refuses to seed otherwise
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citylab.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from citylab.models import User

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))

    pages = [
        ("anonymous", "/"),
        ("anonymous", "/accounts/login/"),
        ("planner@lanhai.example", "/staff/"),
        ("clerk@lanhai.example", "/staff/"),
        ("viewer@lanhai.example", "/staff/population/"),
        ("viewer@lanhai.example", "/staff/teams/digital/"),
    ]
    print(f"{'who':<24} {'page':<24} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for who, url in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        if who != "anonymous":
            client.force_login(User.objects.get(email=who))
        client.get(url)  # warm templates and caches
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        query_count = len(queries)  # read now: later requests reset the connection's log
        assert status == 200, (who, url, status)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{who:<24} {url:<24} {query_count:>7} {statistics.median(times):>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()

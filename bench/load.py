"""Residents answering the demo needs survey at once, under the documented deployment, then a
reconciliation of what they were told against what the database holds.

    .venv/bin/python bench/load.py [--seconds 150] [--residents 200] [--think 1.0] [--faults]

Deployment (bench/stack.py): a scratch database `citylab_load` on the local PostgreSQL with the
demo city, gunicorn with deploy/gunicorn.conf.py (its workers: 2 × cores + 1 unless --workers)
and two `manage.py db_worker` processes, all on loopback. Requests carry what nginx adds
(X-Forwarded-Proto https, X-Forwarded-For with the resident's own address), so secure cookies,
CSRF origin checks and per-address rate limits apply as in production.

Each resident is a thread with its own cookies, answering door-access-2026 page by page as a
browser would: start page, then for each question GET the page, parse its form (CSRF token,
choices), POST a valid answer and follow the redirect, then the check-your-answers page
(every answer listed), submit, and the confirmation page. Between pages it waits --think
seconds on average. A request that fails (connection lost, 5xx, 429) is retried after a
pause, as a person presses reload; after 6 failures in a row the resident gives up. A new
resident, with new cookies, takes the place of one that finished or gave up.

--faults, during the run: SIGKILL one gunicorn worker at one third (the master starts another)
and restart the machine's PostgreSQL at two thirds (as root; every other client of that server
is disconnected too); task workers that exit are started again after 3 s as systemd would
(Restart=always). Before the load, a second gunicorn pointed at a closed port shows what a
resident and a monitor see when the database is unreachable.

Afterwards, in SQL: every acknowledged submission (confirmation page reached) is stored exactly
once under its visit's submission key ("web:" + the progress token in the survey cookie), with
its progress linked and exactly the answers the resident sent; no response appeared that no
resident submitted; every new response has all its required answers; no answer row is orphaned.
Prints figures; exits 1 with the reasons when the reconciliation fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402

DB = "citylab_load"
SURVEY = "door-access-2026"
BASE = f"/s/{SURVEY}/"
COOKIE_PREFIX = "citylab_survey_"
TIMEOUT = 30  # seconds a resident's browser waits for one page
RETRIES = 6
COMMENTS = ["晚上太暗，刷不出来。", "希望保留门禁卡。", "字太小了。", "挺方便的。", "Works well with my card."]

FORM = re.compile(r"<form method=\"post\" novalidate[^>]*>(.*?)</form>", re.S)
INPUT = re.compile(r"<input\b([^>]*)>", re.S)
ATTR = re.compile(r"([\w-]+)=\"([^\"]*)\"")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class PageError(Exception):
    """What a resident saw instead of the page they expected; the message is the kind of error."""


class RunOver(Exception):
    """The run's time is up: the resident leaves the survey unfinished."""


@dataclass
class Tally:
    """Everything the residents saw, shared by their threads under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    acknowledged: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # token -> answers sent
    submitted: set[str] = field(default_factory=set)  # tokens whose check page was posted
    visits: Counter = field(default_factory=Counter)


class Resident:
    """One person's browser: its own cookies and address, a connection to the site."""

    def __init__(self, port: int, number: int, tally: Tally, rng: random.Random, think: float) -> None:
        self.port, self.tally, self.rng, self.think = port, tally, rng, think
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.cookies: dict[str, str] = {}
        # Each resident comes from an address of its own, as nginx reports it.
        self.address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"

    # --- HTTP --------------------------------------------------------------------------------

    def request(self, kind: str, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        headers = {
            "Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": self.address,
            "Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "citylab-bench-resident",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Origin": "https://127.0.0.1", "Referer": f"https://127.0.0.1{path}"})
        began = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()  # a fresh connection for the retry
            raise PageError(f"{kind}: {type(error).__name__}") from None
        elapsed = time.perf_counter() - began
        got = {name.lower(): value for name, value in response.getheaders() if name.lower() != "set-cookie"}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        if response.will_close:
            self.conn.close()
        if response.status >= 400:
            raise PageError(f"{kind}: {describe(response.status, text)}")
        with self.tally.lock:
            self.tally.latencies[kind].append(elapsed)
        return response.status, got, text

    def step(self, kind: str, method: str, path: str, form: dict | None = None, *, expect: int) -> tuple[dict, str]:
        """One page, retried after a pause when it fails, as a person would press reload."""
        for attempt in range(RETRIES):
            try:
                status, headers, text = self.request(kind, method, path, form)
                if status != expect:
                    raise PageError(f"{kind}: HTTP {status}, expected {expect}")
                return headers, text
            except PageError as error:
                with self.tally.lock:
                    self.tally.errors[str(error)] += 1
                time.sleep(min(0.5 * 2 ** attempt, 4) * (0.5 + self.rng.random()))
        raise PageError("gave up")

    def pause(self) -> None:
        if self.think:
            time.sleep(self.think * (0.5 + self.rng.random()))

    # --- The visit ---------------------------------------------------------------------------

    def visit(self, deadline: float) -> None:
        """Answer the survey once, from the start page to the confirmation page."""
        self.cookies = {}
        _, page = self.step("start GET", "GET", BASE, expect=200)
        match = re.search(rf'href="({re.escape(BASE)}q/[^"]+/)"', page)
        if not match:
            raise PageError("start GET: no link to the first question")
        path, sent = match.group(1), {}
        while path.startswith(f"{BASE}q/"):
            if time.monotonic() > deadline:
                raise RunOver
            self.pause()
            _, page = self.step("question GET", "GET", path, expect=200)
            key = path.rstrip("/").rsplit("/", 1)[-1]
            form, answer = self.answer(page)
            sent[key] = answer
            self.pause()
            headers, _ = self.step("answer POST", "POST", path, {**form, "answer": answer}, expect=302)
            path = urlsplit(headers["location"]).path
        if path != f"{BASE}check/":
            raise PageError(f"answer POST: redirected to {path}")
        self.pause()
        _, page = self.step("check GET", "GET", path, expect=200)
        if page.count('class="summary-row"') != len(sent):
            raise PageError("check GET: not every answer is listed")
        token = self.cookies.get(next((k for k in self.cookies if k.startswith(COOKIE_PREFIX)), ""), "")
        with self.tally.lock:
            self.tally.submitted.add(token)
        self.pause()
        headers, _ = self.step("submit POST", "POST", path, self.token_form(page), expect=302)
        _, page = self.step("done GET", "GET", urlsplit(headers["location"]).path, expect=200)
        if 'class="confirmation"' not in page:
            raise PageError("done GET: no confirmation")
        expected = {k: ([v] if isinstance(v, str) else sorted(v)) for k, v in sent.items() if v not in ("", [])}
        with self.tally.lock:
            self.tally.acknowledged[token] = expected

    @staticmethod
    def token_form(page: str) -> dict[str, str]:
        forms = FORM.findall(page)
        token = TOKEN.search(forms[-1] if forms else "")
        if not token:
            raise PageError("page without its form")
        return {"csrfmiddlewaretoken": token.group(1)}

    def answer(self, page: str) -> tuple[dict[str, str], str | list[str]]:
        """The question form's hidden fields, and a valid answer a resident might give."""
        forms = FORM.findall(page)
        if not forms:
            raise PageError("question GET: no question form")
        html = forms[-1]
        form = self.token_form(page)
        optional = 'class="optional-note"' in page
        choices = [dict(ATTR.findall(attrs)) for attrs in INPUT.findall(html)]
        choices = [c for c in choices if c.get("name") == "answer" and c.get("type") in ("radio", "checkbox")]
        rng = self.rng
        if choices and choices[0]["type"] == "checkbox":
            values = [c["value"] for c in choices if c["value"] != "prefer_not_to_say"]
            return form, sorted(rng.sample(values, rng.randint(0 if optional else 1, min(3, len(values)))))
        if choices:
            if optional and rng.random() < 0.1:
                return form, ""
            values = [c["value"] for c in choices]
            plain = [v for v in values if v != "prefer_not_to_say"] or values
            return form, rng.choice(values if rng.random() < 0.05 else plain)
        if "<textarea" in html:
            return form, rng.choice(COMMENTS) if rng.random() < 0.5 else ""
        return form, "" if optional else "3"


def describe(status: int, text: str) -> str:
    if "Traceback" in text:
        return f"HTTP {status} with a stack trace"
    if status == 503 and 'data-unavailable="database"' in text:
        return "HTTP 503, database unavailable page"
    return f"HTTP {status}"


def resident_loop(port: int, number: int, tally: Tally, seed: int, think: float, deadline: float,
                  start_at: float) -> None:
    rng = random.Random(seed * 100_003 + number)
    time.sleep(max(0.0, start_at - time.monotonic()))
    visitor = 0
    while time.monotonic() < deadline:
        resident = Resident(port, number * 1000 + visitor, tally, rng, think)
        visitor += 1
        try:
            resident.visit(deadline)
            outcome = "acknowledged"
        except RunOver:
            outcome = "stopped at the end of the run"
        except PageError as error:
            outcome = "gave up" if str(error) == "gave up" else f"abandoned ({error})"
        finally:
            resident.conn.close()
        with tally.lock:
            tally.visits[outcome] += 1


# --- Faults -----------------------------------------------------------------------------------


class Supervisor(threading.Thread):
    """Starts a task worker again 3 s after it exits, as systemd's Restart=always does."""

    def __init__(self, env: dict[str, str], logs: Path, count: int = 2) -> None:
        super().__init__(daemon=True)
        self.env, self.logs = env, logs
        self.workers = [stack.start_db_worker(env, f"load-{i}", log=logs / f"worker-{i}.log") for i in range(count)]
        self.restarts: list[str] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            for i, worker in enumerate(self.workers):
                code = worker.poll()
                if code is not None and self.running:
                    time.sleep(3)
                    self.restarts.append(f"worker {i} exited with {code}")
                    self.workers[i] = stack.start_db_worker(self.env, f"load-{i}", log=self.logs / f"worker-{i}.log")
            time.sleep(0.5)

    def stop(self) -> None:
        self.running = False
        for worker in self.workers:
            stack.stop(worker)


def inject_faults(master: int, workers: int, began: float, seconds: float, notes: list[str]) -> None:
    time.sleep(max(0.0, began + seconds / 3 - time.monotonic()))
    victims = stack.children(master)
    if victims:
        victim = random.choice(victims)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        while time.monotonic() - killed < 30:
            alive = stack.children(master)
            if victim not in alive and len(alive) >= workers:
                break
            time.sleep(0.05)
        notes.append(f"t={killed - began:5.1f} s  SIGKILL gunicorn worker {victim}; "
                     f"{len(stack.children(master))} workers again after {time.monotonic() - killed:.1f} s")
    time.sleep(max(0.0, began + 2 * seconds / 3 - time.monotonic()))
    at = time.monotonic() - began
    took = stack.postgres("restart")
    notes.append(f"t={at:5.1f} s  PostgreSQL restarted ({took:.1f} s)")


def unreachable_database(served: dict[str, str], logs: Path) -> list[tuple[str, int, str, bool]]:
    """A second gunicorn whose database is a closed port: what each kind of visitor sees."""
    closed = stack.free_port()
    env = {**served, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed}/{DB}"}
    port = stack.free_port()
    server = stack.start_gunicorn(env, port, workers=1, log=logs / "gunicorn-unreachable.log")
    rows = []
    try:
        stack.wait_for_port(port)
        for label, path, cookie in [("resident page", BASE, ""), ("question page", f"{BASE}q/age/", ""),
                                    ("signed-in page", "/staff/", "sessionid=" + "k" * 32), ("health", "/health/", "")]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            conn.request("GET", path, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Cookie": cookie})
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            conn.close()
            if path == "/health/":
                ok = response.status == 503 and json.loads(text).get("database") == "unreachable"
                rows.append((label, response.status, text.strip(), ok))
            else:
                ok = (response.status == 503 and 'data-unavailable="database"' in text and "Traceback" not in text
                      and response.getheader("Retry-After") is not None)
                title = re.search(r"<title>(.*?)</title>", text, re.S)
                rows.append((label, response.status, title.group(1).strip() if title else text[:60], ok))
    finally:
        stack.stop(server)
    return rows


# --- Reconciliation ---------------------------------------------------------------------------


def reconcile(tally: Tally, first_new_id: int) -> tuple[dict[str, int], list[str]]:
    import psycopg

    url = f"postgresql://postgres@127.0.0.1:5432/{DB}"
    with psycopg.connect(url) as conn:
        survey_id = conn.execute("SELECT id FROM surveys_survey WHERE slug = %s", [SURVEY]).fetchone()[0]
        questions = conn.execute(
            "SELECT q.key, q.required, s.key, q.show_if_equals FROM surveys_question q "
            "LEFT JOIN surveys_question s ON s.id = q.show_if_question_id WHERE q.survey_id = %s", [survey_id]
        ).fetchall()
        responses = dict(conn.execute(
            "SELECT id, submission_key FROM surveys_response WHERE survey_id = %s AND id >= %s",
            [survey_id, first_new_id]).fetchall())
        per_key = Counter(responses.values())
        answers: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for response_id, key, value, text in conn.execute(
            "SELECT a.response_id, q.key, a.value, a.text FROM surveys_answer a "
            "JOIN surveys_question q ON q.id = a.question_id WHERE a.response_id >= %s", [first_new_id]
        ):
            answers[response_id][key].append(text or value)
        tokens = list(tally.acknowledged)
        progress = dict(conn.execute("SELECT token, response_id FROM surveys_progress WHERE token = ANY(%s)",
                                     [tokens]).fetchall())
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM surveys_answer a WHERE NOT EXISTS "
            "  (SELECT 1 FROM surveys_response r WHERE r.id = a.response_id)) + "
            "(SELECT count(*) FROM surveys_progress p WHERE p.response_id IS NOT NULL AND NOT EXISTS "
            "  (SELECT 1 FROM surveys_response r WHERE r.id = p.response_id))").fetchone()[0]

    by_key = {key: rid for rid, key in responses.items()}
    problems: list[str] = []
    missing = [t for t in tokens if f"web:{t}" not in by_key]
    unlinked = [t for t in tokens if f"web:{t}" in by_key and progress.get(t) != by_key[f"web:{t}"]]
    doubled = [k for k, n in per_key.items() if n > 1]
    submitted_keys = {f"web:{t}" for t in tally.submitted}
    unexpected = [k for k in by_key if k not in submitted_keys]
    wrong = [t for t in tokens if f"web:{t}" in by_key
             and {k: sorted(v) for k, v in answers[by_key[f"web:{t}"]].items()} != tally.acknowledged[t]]
    incomplete = []
    for rid in responses:
        got = answers.get(rid, {})
        needed = [key for key, required, cond, equals in questions
                  if required and (cond is None or equals in got.get(cond, []))]
        if not got or any(key not in got for key in needed):
            incomplete.append(rid)
    for label, items in [("acknowledged but not stored", missing), ("stored more than once", doubled),
                         ("acknowledged, progress not linked to its response", unlinked),
                         ("stored without any resident submitting it", unexpected),
                         ("stored answers differ from those sent", wrong),
                         ("responses missing required answers (half-written)", incomplete)]:
        if items:
            problems.append(f"{len(items)} {label}, e.g. {items[:3]}")
    if orphans:
        problems.append(f"{orphans} answer or progress rows pointing at no response")
    figures = {
        "acknowledged": len(tokens), "stored in the run": len(responses),
        "stored, confirmation not seen": len(set(by_key) & submitted_keys) - len(tokens) + len(missing),
        "missing": len(missing), "doubled": len(doubled), "answers differ": len(wrong),
        "half-written": len(incomplete), "orphan rows": orphans,
    }
    return figures, problems


# --- Running it -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=150, help="length of the load (default 150)")
    parser.add_argument("--residents", type=int, default=200, help="residents answering at once (default 200)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a resident spends on a page")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--faults", action="store_true", help="kill a web worker and restart PostgreSQL mid-run")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="citylab-load-"))
    served = stack.environment(production=True, db_name=DB, settings="citylab.settings")
    stack.prepare(stack.environment(production=False, db_name=DB), served)

    unreachable = unreachable_database(served, logs) if args.faults else []
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB}") as conn:
        first_new_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM surveys_response").fetchone()[0]

    port = stack.free_port()
    server = stack.start_gunicorn(served, port, workers=args.workers, log=logs / "gunicorn.log")
    supervisor = Supervisor(served, logs)
    supervisor.start()
    tally, notes = Tally(), []
    try:
        stack.wait_for_port(port)
        workers = stack.wait_for_workers(server.pid, args.workers or 2 * (os.cpu_count() or 1) + 1)
        warm = stack.warm_up(port, BASE, 2 * workers)
        began = time.monotonic()
        deadline = began + args.seconds
        ramp = min(10.0, args.seconds / 10)  # residents arrive over the first seconds, not all at once
        threads = [threading.Thread(target=resident_loop, daemon=True,
                                    args=(port, n, tally, args.seed, args.think, deadline,
                                          began + ramp * n / args.residents)) for n in range(args.residents)]
        for thread in threads:
            thread.start()
        if args.faults:
            threading.Thread(target=inject_faults, args=(server.pid, workers, began, args.seconds, notes),
                             daemon=True).start()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline + RETRIES * (TIMEOUT + 4) - time.monotonic()))
        elapsed = time.monotonic() - began
        load_average = os.getloadavg()[0]
    finally:
        supervisor.stop()
        stack.stop(server)
        if args.faults:
            stack.ensure_postgres_running()
    figures, problems = reconcile(tally, first_new_id)

    print(f"gunicorn {workers} workers (deploy/gunicorn.conf.py, debug off), 2 db_workers, PostgreSQL; "
          f"{args.residents} residents, think {args.think:g} s, {args.seconds:g} s run ({elapsed:.0f} s with "
          f"the last pages), warm-up {warm:.0f} s, load average at the end {load_average:.1f} on {os.cpu_count()} cores; "
          f"logs in {logs}")
    if unreachable:
        print("\nDatabase unreachable (second gunicorn, database on a closed port)")
        for label, status, what, ok in unreachable:
            print(f"  {label:<15} {status}  {'as expected' if ok else 'NOT AS EXPECTED'}  {what[:70]}")
    for note in notes:
        print("  fault: " + note)
    for restart in supervisor.restarts:
        print("  task " + restart + ", started again after 3 s")
    total = sum(len(v) for v in tally.latencies.values())
    print(f"\n{total} pages answered, {total / elapsed:.0f} per second; "
          f"{len(tally.acknowledged)} surveys acknowledged, {60 * len(tally.acknowledged) / elapsed:.0f} per minute")
    print(f"{'page':<13} {'answered':>9} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in ["start GET", "question GET", "answer POST", "check GET", "submit POST", "done GET"]:
        values = tally.latencies.get(kind, [])
        if values:
            print(f"{kind:<13} {len(values):>9} {len(values) / elapsed:>7.1f} {statistics.median(values) * 1000:>8.1f} "
                  f"{percentile(values, 0.95):>8.1f} {percentile(values, 0.99):>8.1f} {max(values) * 1000:>8.1f}")
    print(f"\nerrors (each retried): {sum(tally.errors.values()) or 'none'}")
    for what, n in tally.errors.most_common():
        print(f"  {n:>6}  {what}")
    print("visits: " + ", ".join(f"{n} {what}" for what, n in tally.visits.most_common()))
    print("\nreconciliation: " + ", ".join(f"{what} {n}" for what, n in figures.items()))
    failed = list(problems)
    failed += [f"unreachable database: the {label} answered {status}" for label, status, _, ok in unreachable if not ok]
    if args.faults and not stack.postgres_running():
        failed.append("PostgreSQL is not running after the run")
    if failed:
        print("RECONCILIATION FAILED:\n  " + "\n  ".join(failed))
        sys.exit(1)
    print("reconciled: every acknowledged submission is stored exactly once, with the answers sent")


if __name__ == "__main__":
    main()

"""A CityLab deployment on loopback, for the benchmarks that need real processes: a scratch
database on the local PostgreSQL (postgres@127.0.0.1:5432), gunicorn and task workers started
as deploy/ describes, and the local PostgreSQL service itself (restarted by the fault runs).

Used by survey_pages.py, load.py and scan_fault.py. Every process it starts is returned to the
caller, which stops it by its own id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(*, production: bool, db_name: str = "citylab_bench", settings: str = "bench.settings",
                database_url: str | None = None) -> dict[str, str]:
    """Seeding runs in development mode (the demo refuses otherwise); serving and counting run
    as a deployment would: debug off, static files collected, no SSL redirect on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYLAB_")}
    env.update(
        DATABASE_URL=database_url or f"postgres://postgres@127.0.0.1:5432/{db_name}",
        DJANGO_SETTINGS_MODULE=settings,
        CITYLAB_LOG_LEVEL="warning",
        PYTHONPATH=str(ROOT),
    )
    if production:
        env.update(
            CITYLAB_DEBUG="false",
            CITYLAB_SECRET_KEY="bench-only-" + "k" * 50,
            CITYLAB_ALLOWED_HOSTS="127.0.0.1",
            CITYLAB_SSL_REDIRECT="false",
            CITYLAB_STATIC_ROOT=str(Path(tempfile.gettempdir()) / "citylab-bench-static"),
        )
    else:
        env["CITYLAB_DEBUG"] = "true"
    return env


def db_name(env: dict[str, str]) -> str:
    return urlsplit(env["DATABASE_URL"]).path.lstrip("/")


def prepare(env: dict[str, str], served: dict[str, str]) -> None:
    """Drop and create the scratch database named in `env`, migrate it, seed the demo city and
    collect the static files the served (production) environment needs."""
    import psycopg

    name = db_name(env)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "seed_demo", "-v0"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=served, check=True)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


def wait_for_workers(master: int, count: int, timeout: float = 60) -> int:
    """How many workers gunicorn has forked, once it has `count` (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while len(children(master)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(children(master))


def warm_up(port: int, path: str, concurrency: int, timeout: float = 180) -> float:
    """Send `concurrency` requests at once until all come back within a second: every web
    worker has then loaded the URLconf and its imports, which on a busy machine takes a while.
    Returns the seconds it took."""
    import http.client
    import threading

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        times: list[float] = []

        def one() -> None:
            start = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                conn.request("GET", path, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
                conn.getresponse().read()
                conn.close()
                times.append(time.monotonic() - start)
            except OSError:
                times.append(float("inf"))

        threads = [threading.Thread(target=one) for _ in range(max(1, concurrency))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if max(times) < 1:
            break
    return time.monotonic() - began


def start_gunicorn(env: dict[str, str], port: int, *, workers: int | None = None, log: Path,
                   app: str = "citylab.wsgi") -> subprocess.Popen:
    """gunicorn with deploy/gunicorn.conf.py, as citylab-web.service starts it, on a loopback port."""
    env = {**env, "CITYLAB_BIND": f"127.0.0.1:{port}"}
    if workers:
        env["CITYLAB_WEB_WORKERS"] = str(workers)
    out = open(log, "ab")  # noqa: SIM115 - the child writes to it until it stops
    return subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py", app],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def start_db_worker(env: dict[str, str], worker_id: str, *, log: Path) -> subprocess.Popen:
    """One task worker, as citylab-worker@.service starts it."""
    out = open(log, "ab")  # noqa: SIM115
    return subprocess.Popen([PYTHON, "manage.py", "db_worker", "--no-reload", "--worker-id", worker_id,
                             "--interval", "0.5"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def children(pid: int) -> list[int]:
    """The processes `pid` started (gunicorn's workers under its master)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def stop(process: subprocess.Popen | None, timeout: float = 30) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- The local PostgreSQL service -------------------------------------------------------------


def _cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def postgres(action: str) -> float:
    """stop, start or restart the machine's PostgreSQL; returns the seconds it took."""
    began = time.perf_counter()
    subprocess.run([*_cluster(), action], check=True, capture_output=True)
    return time.perf_counter() - began


def postgres_running() -> bool:
    return subprocess.run([*_cluster(), "status"], capture_output=True).returncode == 0


def ensure_postgres_running() -> None:
    """Whatever happened in a fault run, leave the machine's PostgreSQL running."""
    if not postgres_running():
        postgres("start")

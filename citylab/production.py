"""Checks that a production configuration will work, before it starts (`make check-prod`).

Django's own deployment checklist (`check --deploy`) looks at settings only. These checks also
try what a deployment needs at its first request: the database answers and is migrated, the
cache works, static files are collected, the media folder is writable, mail goes somewhere,
translations are compiled. Each check returns a Finding with a sentence an operator can act on.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    message: str


def debug_off() -> Finding:
    if settings.DEBUG:
        return Finding("debug", False, "CITYLAB_DEBUG is true: set CITYLAB_DEBUG=false in production")
    return Finding("debug", True, "off")


def secret_key() -> Finding:
    key = settings.SECRET_KEY
    if "change-me" in key or "django-insecure" in key:
        return Finding("secret key", False, "CITYLAB_SECRET_KEY is the example's placeholder: generate a random one")
    if len(set(key)) < 5 or len(key) < 50:
        return Finding("secret key", False, "CITYLAB_SECRET_KEY: use 50 or more random characters")
    return Finding("secret key", True, f"{len(key)} characters")


def deploy_checklist() -> Finding:
    out = io.StringIO()
    try:
        call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=out)
    except SystemCheckError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip().startswith("?:")
                 or line.strip().startswith("(")]
        return Finding("deployment checklist", False, "; ".join(lines) or str(error))
    return Finding("deployment checklist", True, "check --deploy reports no issue")


def database() -> Finding:
    vendor = connection.vendor
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return Finding("database", False, f"DATABASE_URL: cannot connect ({str(error).strip().splitlines()[0]})")
    if vendor != "postgresql":
        return Finding("database", False, f"DATABASE_URL points at {vendor}: production runs on PostgreSQL, "
                                          "which several web and worker processes can share")
    version = connection.pg_version // 10000
    if version < 14:
        return Finding("database", False, f"PostgreSQL {version}: CityLab needs PostgreSQL 14 or newer")
    return Finding("database", True, f"PostgreSQL {version} at {connection.settings_dict.get('HOST') or 'socket'}")


def migrations() -> Finding:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return Finding("migrations", False, "cannot read the database's migrations (see database)")
    if plan:
        return Finding("migrations", False, f"{len(plan)} migration(s) not applied: run manage.py migrate")
    return Finding("migrations", True, "all applied")


def cache_works() -> Finding:
    key = f"citylab-check-production-{os.getpid()}"
    try:
        cache.set(key, "ok", 30)
        value = cache.get(key)
        cache.delete(key)
    except Exception as error:  # noqa: BLE001 - any backend's failure is the finding
        return Finding("cache", False, f"the cache does not answer: {error}")
    if value != "ok":
        return Finding("cache", False, "the cache kept nothing: check REDIS_URL or run manage.py createcachetable")
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return Finding("cache", True, backend)


def static_collected() -> Finding:
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return Finding("static files", False, f"{manifest} is missing: run manage.py collectstatic --noinput")
    return Finding("static files", True, f"collected in {settings.STATIC_ROOT}")


def media_writable() -> Finding:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return Finding("media", False, f"CITYLAB_MEDIA_ROOT {root} does not exist: create it (shared by every machine)")
    try:
        with tempfile.NamedTemporaryFile(dir=root, prefix=".check-"):
            pass
    except OSError as error:
        return Finding("media", False, f"cannot write to {root}: {error.strerror}")
    return Finding("media", True, f"{root} is writable")


def mail() -> Finding:
    if settings.CITYLAB_EMAIL_DELIVERY_BACKEND.endswith("console.EmailBackend"):
        return Finding("mail", False, "CITYLAB_EMAIL_BACKEND is console: mail would be printed, never sent; use smtp")
    return Finding("mail", True, f"SMTP via {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")


def translations(locale_paths: list[Path] | None = None) -> Finding:
    missing = []
    for folder in settings.LOCALE_PATHS if locale_paths is None else locale_paths:
        for po in Path(folder).glob("*/LC_MESSAGES/django.po"):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                missing.append(str(mo))
    if missing:
        return Finding("translations", False, f"{', '.join(missing)} missing or older than its .po: "
                                              "run pybabel compile -d locale -D django")
    return Finding("translations", True, "compiled")


CHECKS: list[Callable[[], Finding]] = [
    debug_off, secret_key, deploy_checklist, database, migrations, cache_works, static_collected,
    media_writable, mail, translations,
]


def run_checks() -> list[Finding]:
    return [check() for check in CHECKS]

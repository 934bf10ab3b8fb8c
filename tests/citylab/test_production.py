"""`make check-prod`: each check of a production configuration, and the command's report."""

from __future__ import annotations

import pytest
from django.db import connection

from citylab import production
from tests.citylab.test_settings import PRODUCTION, manage


def test_debug_must_be_off(settings):
    settings.DEBUG = True
    assert not production.debug_off().ok
    settings.DEBUG = False
    assert production.debug_off().ok


@pytest.mark.parametrize(("key", "ok"), [
    ("change-me-to-50-or-more-random-characters-from-a-password-manager", False),
    ("django-insecure-citylab-development-key-never-use-in-production", False),
    ("a" * 60, False),
    ("short-but-random-3#x", False),
    (PRODUCTION["CITYLAB_SECRET_KEY"], True),
])
def test_secret_key(settings, key, ok):
    settings.SECRET_KEY = key
    assert production.secret_key().ok is ok


def test_database_must_be_postgresql(db):
    finding = production.database()
    # This suite runs on SQLite and on PostgreSQL (CI does both): each gets its own answer.
    if connection.vendor == "postgresql":
        assert finding.ok and finding.message.startswith("PostgreSQL ")
    else:
        assert not finding.ok and "production runs on PostgreSQL" in finding.message


def test_migrations_and_cache_of_a_migrated_database(db):
    assert production.migrations() == production.Finding("migrations", True, "all applied")
    assert production.cache_works().ok


def test_static_files_must_be_collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    finding = production.static_collected()
    assert not finding.ok and "run manage.py collectstatic --noinput" in finding.message
    (tmp_path / "staticfiles.json").write_text("{}")
    assert production.static_collected().ok


def test_media_folder_must_exist(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "missing"
    finding = production.media_writable()
    assert not finding.ok and "does not exist" in finding.message
    settings.MEDIA_ROOT = tmp_path
    assert production.media_writable().ok
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_mail_must_be_sent(settings):
    settings.CITYLAB_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert not production.mail().ok
    settings.CITYLAB_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert production.mail().ok


def test_translations_must_be_compiled(tmp_path):
    po = tmp_path / "zh_Hans/LC_MESSAGES/django.po"
    po.parent.mkdir(parents=True)
    po.write_text("")
    assert not production.translations([tmp_path]).ok
    po.with_suffix(".mo").write_bytes(b"")
    assert production.translations([tmp_path]).ok
    assert production.translations().ok  # the project's own catalogue, compiled by make


def test_command_lists_every_check_and_fails_on_any(tmp_path):
    result = manage("check_production", **PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                    CITYLAB_MEDIA_ROOT=str(tmp_path), CITYLAB_STATIC_ROOT=str(tmp_path / "static"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(production.CHECKS)
    assert "ok    debug: off" in lines and "ok    media: " + str(tmp_path) + " is writable" in lines
    assert any(line.startswith("FAIL  database: DATABASE_URL points at sqlite") for line in lines)
    assert any(line.startswith("FAIL  migrations: ") and "run manage.py migrate" in line for line in lines)
    assert "checks failed: database, migrations, cache, static files, mail" in result.stderr

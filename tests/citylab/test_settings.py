"""Settings come from environment variables; a bad value stops the start with a sentence
that names the variable. Each case runs Django in a fresh process, as a deployment would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from citylab.env import Env, EnvError

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "CITYLAB_DEBUG": "false",
    "CITYLAB_SECRET_KEY": "k7#Qz9!vLp2@Xw4$Rt6^Yb8&Nm1*Hc3(Jd5)Fg0-Ks7+Ue9=Wa2~Zo4",
    "CITYLAB_ALLOWED_HOSTS": "citylab.lanhai.example",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CITYLAB_") and k != "DATABASE_URL"}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_runs_with_nothing_set():
    result = manage("check")
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CITYLAB_DEBUG": "maybe"}, "CITYLAB_DEBUG: expected true or false"),
        ({"CITYLAB_DEBUG": "false"}, "CITYLAB_SECRET_KEY: required when CITYLAB_DEBUG is false"),
        ({**PRODUCTION, "CITYLAB_ALLOWED_HOSTS": ""}, "CITYLAB_ALLOWED_HOSTS: required"),
        ({"CITYLAB_ALLOWED_HOSTS": "a.example,,b.example"}, "CITYLAB_ALLOWED_HOSTS: expected a comma-separated list"),
        ({"DATABASE_URL": "mysql://root@localhost/test"}, "DATABASE_URL: expected a URL starting with"),
        ({"DATABASE_URL": "postgres//nohost"}, "DATABASE_URL: expected a URL starting with"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL: expected a URL starting with"),
        ({"CITYLAB_MEDIA_ROOT": "media"}, "CITYLAB_MEDIA_ROOT: expected an absolute path"),
        ({"CITYLAB_EMAIL_BACKEND": "pigeon"}, "CITYLAB_EMAIL_BACKEND: expected one of console, smtp"),
        ({"CITYLAB_EMAIL_PORT": "twenty-five"}, "CITYLAB_EMAIL_PORT: expected a whole number"),
        ({"CITYLAB_DB_CONN_MAX_AGE": "-1"}, "CITYLAB_DB_CONN_MAX_AGE: must be at least 0"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr
    # One clear line, not a page of traceback noise above it.
    assert message in result.stderr.strip().splitlines()[-1]


def test_env_reader_accepts_common_spellings():
    env = Env({"A": " Yes ", "B": "0", "C": "a.example, b.example", "D": "", "E": "42"})
    assert env.bool("A", default=False) is True
    assert env.bool("B", default=True) is False
    assert env.list("C", default=[]) == ["a.example", "b.example"]
    assert env.str("D", default="fallback") == "fallback"
    assert env.int("E", default=0, minimum=1) == 42


def test_env_error_is_an_improperly_configured():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="^X: expected a whole number, got 'ten'$"):
        Env({"X": "ten"}).int("X", default=1)
    with pytest.raises(EnvError):
        Env({"U": "ftp://x"}).url("U", schemes={"redis"})


def test_redis_url_selects_the_redis_cache():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
                    REDIS_URL="redis://127.0.0.1:6379/1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.redis.RedisCache"


def test_readme_documents_every_variable_settings_read():
    import re

    settings_source = (ROOT / "citylab/settings.py").read_text()
    gunicorn_source = (ROOT / "deploy/gunicorn.conf.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'environ\.get\("([A-Z_]+)"', gunicorn_source))
    assert len(read) > 20
    readme = (ROOT / "README.md").read_text()
    assert sorted(name for name in read if f"`{name}`" not in readme) == []

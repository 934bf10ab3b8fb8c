"""Settings for benchmarks only: the project's settings plus a floor view to compare against."""

from citylab.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405

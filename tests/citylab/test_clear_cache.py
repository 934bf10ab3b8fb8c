"""`clear_cache`, a step of the restore procedure: nothing kept before it is read after it."""

from __future__ import annotations

from io import StringIO

from django.core.cache import cache
from django.core.management import call_command


def test_clear_cache_empties_the_shared_cache(db):
    cache.set("surveys:tallies:1:pilot-segments", "counts of a survey the restore took away")
    out = StringIO()
    call_command("clear_cache", stdout=out)
    assert cache.get("surveys:tallies:1:pilot-segments") is None
    assert "Cache emptied" in out.getvalue()

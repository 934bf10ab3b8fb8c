"""The database cache, with an `incr` that is atomic across processes.

Django's DatabaseCache inherits `incr` from BaseCache: a get, then a set. Two web processes
counting the same key at once both read n and both write n + 1, so a rate limit counted that
way lets through more than it should exactly when it matters, under a flood. Redis counts with
INCR, atomically; this does the same with one locked row in one transaction. The expiry is
kept, not reset to the default timeout as BaseCache's `set` would, so a counter still ends
with its window.
"""

from __future__ import annotations

import base64
import pickle  # nosec B403: the format DatabaseCache itself stores, see incr

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, cache_key, value, expires = (quote(n) for n in (self._table, "cache_key", "value", "expires"))
        # PostgreSQL: the row lock makes a second process wait for the first one's commit and
        # then read its value. SQLite has no row locks, but CityLab opens every SQLite
        # transaction IMMEDIATE (settings.py), which takes the write lock at BEGIN.
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        # No savepoint of its own inside a caller's transaction: two statements, nothing to undo.
        with transaction.atomic(using=db, savepoint=False), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {value} FROM {table} WHERE {cache_key} = %s AND {expires} >= %s{lock}", [key, now]  # nosec B608
            )
            row = cursor.fetchone()
            if row is not None:
                # Unpickled as DatabaseCache.get does: the rows are written by this cache only.
                # The SQL is built from quoted column names only; key and values are parameters.
                stored = connection.ops.process_clob(row[0])
                number = pickle.loads(base64.b64decode(stored.encode())) + delta  # nosec B301
                encoded = base64.b64encode(pickle.dumps(number, self.pickle_protocol)).decode("latin1")
                cursor.execute(f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s", [encoded, key])  # nosec B608
        if row is None:  # raised outside the block, which must not mark a caller's transaction as failed
            raise ValueError(f"Key '{key}' not found")
        return number

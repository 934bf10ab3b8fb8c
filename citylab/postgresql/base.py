"""Django's PostgreSQL backend with a health check that costs no round trip when it need not.

With persistent connections, Django checks a connection at the first query of every request
by running `SELECT 1`: a round trip to the server on every page, a third of the work of a
resident's answer (read, write, check). An idle connection has nothing to read, so when its
socket is quiet there is nothing the check could learn that the next query would not: the
server shutting down, restarting or dropping the connection sends a message or closes the
socket, and either makes it readable. Only then is `SELECT 1` run, which reads what came and
says whether the connection still works (a notice or a changed setting leaves it usable).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == TransactionStatus.IDLE:
            try:
                readable, _, _ = select.select([connection.fileno()], [], [], 0)
            except (OSError, ValueError):  # the socket is gone
                return False
            if not readable:
                return True
        return super().is_usable()

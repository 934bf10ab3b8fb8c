"""`in` on integer columns, without the values no such column can hold.

Django's own integer lookups (exact, gt, gte, lt, lte) treat a value outside the column's range
as matching nothing (or everything), but `in` passes it to the database. SQLite's driver then
raises OverflowError for a posted id such as 10**40: a server error from any checkbox list of
records (a ModelMultipleChoiceField looks its ids up with `pk__in`) instead of the form's
"select a valid choice". PostgreSQL compares such a value without error and matches nothing,
which is what dropping it here gives on every database.
"""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                value for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)

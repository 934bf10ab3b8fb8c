"""Form validators shared by the apps' forms."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from citylab.idnumbers import contains_national_id


def no_national_id(value: object) -> None:
    """Refuse text holding an identity card number: CityLab keeps none (citylab.idnumbers)."""
    if isinstance(value, str) and contains_national_id(value):
        raise ValidationError(
            _("Remove the ID card number: CityLab does not need it and does not keep them"), code="id_number"
        )

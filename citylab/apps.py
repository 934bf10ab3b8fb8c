from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CityLabConfig(AppConfig):
    name = "citylab"
    verbose_name = _("Civic core")

    def ready(self) -> None:
        from citylab import lookups

        lookups.register()

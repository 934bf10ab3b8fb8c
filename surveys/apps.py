from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def seed_demo(self, *, team) -> str:
        """Called by `manage.py seed_demo` (citylab does not import surveys)."""
        from surveys.demo import seed_demo

        return seed_demo(team=team)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def seed_demo(self, *, team) -> str:
        """Called by `manage.py seed_demo` (citylab does not import surveys)."""
        from surveys.demo import seed_demo

        return seed_demo(team=team)

    def staff_links(self, user) -> list[tuple[str, str]]:
        """Entry points on the staff landing page of a team member (citylab does not import surveys)."""
        from django.urls import reverse

        return [(str(_("Surveys: design, results, invitations and entry")), reverse("surveys:list"))]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("Pilots")

    def seed_demo(self, *, team) -> str:
        """Called by `manage.py seed_demo` (citylab does not import pilots)."""
        from pilots.demo import seed_demo
        from pilots.demo_panels import seed_panels

        # Panels after pilots: their tasks belong to the demo pilot's cycles.
        return "; ".join([seed_demo(team=team), seed_panels(team=team)])

    def staff_links(self, user) -> list[tuple[str, str]]:
        """Entry points on the staff landing page of a team member (citylab does not import pilots)."""
        from django.urls import reverse

        return [
            (str(_("Pilots: cycles, verdicts and decisions")), reverse("pilots:pilot_list")),
            (str(_("Experience-officer panels: quotas, coverage and test tasks")), reverse("pilots:panel_list")),
        ]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("Pilots")

    def seed_demo(self, *, team) -> str:
        """Called by `manage.py seed_demo` (citylab does not import pilots)."""
        from pilots.demo import seed_demo

        return seed_demo(team=team)

    def staff_links(self, user) -> list[tuple[str, str]]:
        """Entry points on the staff landing page of a team member (citylab does not import pilots)."""
        from django.urls import NoReverseMatch, reverse

        try:
            url = reverse("pilots:pilot_list")
        except NoReverseMatch:
            # The pilot pages may not be wired yet: no link rather than a broken landing page.
            return []
        return [(str(_("Pilots: cycles, verdicts and decisions")), url)]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("Pilots")

    def seed_demo(self, *, team) -> str:
        """Called by `manage.py seed_demo` (citylab does not import pilots)."""
        from pilots.demo import seed_demo
        from pilots.demo_feedback import seed_feedback, seed_officer_login
        from pilots.demo_panels import seed_panels

        # In story order: pilots, then the panel with tasks in the pilot's cycles, then the
        # officers' feedback on those tasks that led to cycle 2's changes.
        return "; ".join([seed_demo(team=team), seed_panels(team=team), seed_feedback(team=team),
                          seed_officer_login(team=team)])

    def staff_links(self, user) -> list[tuple[str, str]]:
        """Entry points on the staff landing page of a team member (citylab does not import pilots)."""
        from django.urls import reverse

        return [
            (str(_("Portfolio: every pilot and open survey at a glance")), reverse("pilots:portfolio")),
            (str(_("Pilots: cycles, verdicts and decisions")), reverse("pilots:pilot_list")),
            (str(_("Experience-officer panels: quotas, coverage and test tasks")), reverse("pilots:panel_list")),
            (str(_("Experience officers: applications to approve, registration in person")),
             reverse("pilots:officer_list")),
        ]

    def personal_home(self, user) -> str | None:
        """An experience officer's own page, for a signed-in user who is not on a team."""
        from django.urls import reverse

        from pilots.models import Officer, OfficerStatus

        if Officer.objects.filter(user=user).exclude(status=OfficerStatus.WITHDRAWN).exists():
            return reverse("pilots:officer_home")
        return None

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # Resident pages keep a survey's structure per state of the survey row: any change to a
        # question or a choice must move that row's updated_at, wherever it is made (builder,
        # admin, shell), or a page could show the structure from before the change.
        from django.db.models.signals import post_delete, post_save

        from surveys import structure
        from surveys.models import Choice, Question

        for signal in (post_save, post_delete):
            signal.connect(structure.question_changed, sender=Question, dispatch_uid="structure-question")
            signal.connect(structure.choice_changed, sender=Choice, dispatch_uid="structure-choice")
        # The dashboards' cached counts must hear of an edited or deleted response in every
        # process that writes one (a task worker loads no view), so the receivers connect here.
        from surveys import tallies  # noqa: F401

    def seed_demo(self, *, team) -> str:
        """Called by `manage.py seed_demo` (citylab does not import surveys)."""
        from surveys.demo import seed_demo

        return seed_demo(team=team)

    def staff_links(self, user) -> list[tuple[str, str]]:
        """Entry points on the staff landing page of a team member (citylab does not import surveys)."""
        from django.urls import reverse

        return [
            (str(_("Surveys: design, results, invitations and entry")), reverse("surveys:list")),
            (str(_("Paper forms: upload scans and check marks")), reverse("surveys:scan_list")),
        ]

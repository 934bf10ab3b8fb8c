from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from citylab import demo
from citylab.models import AgeBand, Community, District, Occupation, PopulationFigure, Team, User


class Command(BaseCommand):
    help = (
        f"Create or update the demo city, {demo.CITY_EN} ({demo.CITY_ZH}), and its development-only users. "
        "Safe to run again: existing passwords and authenticators are left alone."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            # The demo users' password and authenticator secret are published in the README:
            # they must never exist on a server that holds residents' data.
            raise CommandError(
                "seed_demo: refused because CITYLAB_DEBUG is false; the demo users' password and "
                "authenticator secret are public, so the demo is for development machines only"
            )
        tallies = demo.seed_demo(stdout=self.stdout if options["verbosity"] > 1 else None)
        self._print_contents()
        created = sum(t.created for t in tallies.values())
        updated = sum(t.updated for t in tallies.values())
        self.stdout.write(f"  this run: {created} rows created, {updated} updated (-v 2 for details)")
        # Other apps add their part of the demo (surveys, pilots…) through an AppConfig hook,
        # so that the civic core never imports them.
        team = Team.objects.get(code=demo.TEAM.code)
        for config in apps.get_app_configs():
            hook = getattr(config, "seed_demo", None)
            if callable(hook):
                self.stdout.write(f"  {config.label}: {hook(team=team)}")
        self._print_credentials(existing=tallies["users"].total - tallies["users"].created)

    def _print_contents(self) -> None:
        adults = sum(PopulationFigure.objects.values_list("population", flat=True))
        self.stdout.write(self.style.SUCCESS(f"Demo city {demo.CITY_EN} ({demo.CITY_ZH}) is ready:"))
        self.stdout.write(
            f"  {District.objects.count()} districts, {Community.objects.count()} communities, "
            f"{AgeBand.objects.count()} age bands, {Occupation.objects.count()} occupations, "
            f"{PopulationFigure.objects.count()} population figures ({adults:,} adults), "
            f"{Team.objects.count()} team(s), {User.objects.count()} user(s)"
        )

    def _print_credentials(self, *, existing: int) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.WARNING("Demo sign-in (development only):"))
        width = max(len(u.email) for u in demo.DEMO_USERS)
        for user in demo.DEMO_USERS:
            code = "  + sign-in code" if demo.needs_totp(user) else ""
            self.stdout.write(
                f"  {user.email:<{width}}  {demo.DEMO_PASSWORD}  {user.role:<8} {user.full_name} {user.name_en}{code}"
            )
        if existing:
            self.stdout.write(f"  ({existing} of these users already existed: their passwords were not changed.)")
        self.stdout.write(
            "Planner and admin also need a sign-in code: run `python manage.py totp_code EMAIL`, "
            f"or add the secret {demo.DEMO_TOTP_SECRET} to an authenticator app."
        )

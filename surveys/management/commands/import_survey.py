from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from citylab.models import Team
from surveys.definitions import create_survey, database_problems
from surveys.definition_format import DefinitionError
from surveys.interchange import parse_definition


class Command(BaseCommand):
    help = "Create a survey from a survey definition file (the JSON format export_survey writes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--team", metavar="CODE", help="code of the owning team (default: the first team by code)")

    @no_translations  # operators script against English messages, whatever the site's language
    def handle(self, *args, file: Path, team: str | None, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        # Every problem at once, the team's included, so the file is fixed in one round.
        problems: list[str] = []
        owner = self._team(team, problems)
        try:
            definition = parse_definition(data)
        except DefinitionError as error:
            problems += error.problems
        else:
            if owner is None:
                problems += database_problems(definition)
            else:
                try:
                    survey = create_survey(definition, team=owner)
                except DefinitionError as error:
                    problems += error.problems
        if problems:
            raise CommandError("\n".join(f"{file}: {problem}" for problem in problems))
        count = len(definition.questions)
        self.stdout.write(
            f"{file}: created survey {survey.slug!r} with {count} question{'s' if count != 1 else ''} "
            f"for team {owner.code!r}"
        )

    @staticmethod
    def _team(code: str | None, problems: list[str]) -> Team | None:
        teams = Team.objects.order_by("code")
        if code is None:
            first = teams.first()
            if first is None:
                problems.append("--team: there is no team yet; create one in the admin site first")
            return first
        found = teams.filter(code=code).first()
        if found is None:
            known = ", ".join(teams.values_list("code", flat=True)) or "none yet"
            problems.append(f"--team: no team has the code {code!r} (known: {known})")
        return found

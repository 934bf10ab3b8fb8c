"""`manage.py evaluate_counts CURRENT.csv`: the readiness verdict for count files, without the database.

An analyst (or an operator before uploading) can check a file and see the verdict the pilot
pages would give. District and age band are free labels here, and nothing reads or writes
the database, so it works on a machine with no CityLab data at all.
"""

from __future__ import annotations

import argparse
import json
import math
import unicodedata
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from pilots.countfile import (
    CountFileError,
    CountRow,
    PopulationRow,
    parse_counts,
    parse_population,
    to_counts,
    to_population,
)
from pilots.verdict import evaluate
from pilots.verdict_types import Estimate, Evaluation, Thresholds, percent

DEFAULTS = Thresholds()


def share(text: str) -> float:
    """A proportion from "0.6", "60" or "60%" (all 60%).

    A number with a percent sign, or above 1, is a percentage; one from 0 to 1 is a proportion
    (so "1" is 100%, and 1% must be written "1%" or 0.01). Planners think in percentages and
    the pilot form stores them, while the verdict works in proportions: both are accepted
    rather than have "--adoption-target 60" fail or, worse, mean 6000%.
    """
    cleaned = text.strip()
    is_percent = cleaned.endswith("%")
    try:
        number = float(cleaned.removesuffix("%").strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; write 0.6, 60 or 60%") from None
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a proportion (0 to 1) or a percentage (0 to 100)")
    if is_percent or number > 1:
        number /= 100
    if number > 1:
        raise argparse.ArgumentTypeError(f"{text!r} is more than 100%")
    return number


def whole_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return number


class Command(BaseCommand):
    help = (
        "Evaluate an operator's count file (district,age_band,eligible,adopters[,satisfied,rated]) "
        "with the pilots' readiness rules, without the database. Thresholds are proportions (0.6) "
        "or percentages (60 or 60%); a number above 1 is read as a percentage."
    )
    # No system checks and no database: the command must run where CityLab has no data (or
    # no migrated database) at all, e.g. on an analyst's laptop with the operator's file.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("current", type=Path, help="this cycle's counts (CSV)")
        parser.add_argument("--previous", type=Path, help="the previous cycle's counts, to show what changed")
        parser.add_argument(
            "--population", type=Path,
            help="population figures district,age_band,population (a blank district or age band gives a total), "
                 "to weight overall adoption",
        )
        for name, default, what in (
            ("adoption-target", DEFAULTS.adoption_target, "overall adoption to reach"),
            ("equity-floor", DEFAULTS.equity_floor, "adoption every segment must reach"),
            ("satisfaction-target", DEFAULTS.satisfaction_target, "share of ratings that are satisfied"),
            ("viability-floor", DEFAULTS.viability_floor, "below this, even at best, the pilot is not viable"),
            ("confidence", DEFAULTS.confidence, "confidence level of the intervals"),
        ):
            parser.add_argument(f"--{name}", type=share, default=default,
                                # argparse formats help with %: "60%" must be written "60%%".
                                help=f"{what} (default {percent(default)})".replace("%", "%%"))
        parser.add_argument("--min-n", type=whole_number, default=DEFAULTS.min_n,
                            help=f"minimum respondents per segment (default {DEFAULTS.min_n})")
        parser.add_argument("--json", action="store_true", help="print the evaluation as JSON")

    @no_translations  # operators script against English messages, whatever the site's language
    def handle(self, *args: Any, **options: Any) -> None:
        thresholds = Thresholds(
            adoption_target=options["adoption_target"], equity_floor=options["equity_floor"],
            satisfaction_target=options["satisfaction_target"], viability_floor=options["viability_floor"],
            min_n=options["min_n"], confidence=options["confidence"],
        )
        problems = thresholds.problems()
        # The pilot form refuses a floor above the target (Pilot.clean), where it is a typo. Here a
        # third-party evaluator may judge by rules of their own, so the command says so on
        # stderr (stdout stays the report a script reads) and evaluates as asked.
        target = thresholds.adoption_target
        for floor, name in ((thresholds.equity_floor, "equity floor"), (thresholds.viability_floor, "viability floor")):
            if floor > target:
                self.stderr.write(f"Warning: the {name} ({percent(floor)}) is above the adoption target "
                                  f"({percent(target)}); evaluating with these thresholds as given.")
        # Read every file before saying anything: all problems of all files at once, and
        # nothing on stdout when any file is bad (a script must not take half a report).
        current = self._read(options["current"], parse_counts, problems)
        previous = self._read(options["previous"], parse_counts, problems) if options["previous"] else None
        population = self._read(options["population"], parse_population, problems) if options["population"] else None
        if problems:
            raise CommandError("\n".join(problems))
        evaluation = evaluate(
            to_counts(current), thresholds,
            previous=to_counts(previous, like=current) if previous is not None else None,
            population=to_population(population, current) if population is not None else None,
        )
        if options["json"]:
            self.stdout.write(json.dumps(_json_ready(evaluation.as_dict()), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render(evaluation))

    @staticmethod
    def _read(path: Path, parse, problems: list[str]) -> list[CountRow] | list[PopulationRow] | None:
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(f"{path}: {error.strerror or error}")
            return None
        try:
            return parse(data)
        except CountFileError as error:
            problems.extend(f"{path}: {problem}" for problem in error.problems)
            return None


def _json_ready(value: Any) -> Any:
    """NaN and infinity are not JSON: a statistic that cannot be computed is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


# --- Plain text -----------------------------------------------------------------------------


def _width(text: str) -> int:
    # Chinese district names take two columns in a terminal: pad by display width, not length.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def table(headings: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    """Columns padded to their widest cell; numbers (the `right` columns) aligned right."""
    widths = [max(_width(str(cell)) for cell in column) for column in zip(headings, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        padded = []
        for i, cell in enumerate(cells):
            gap = " " * (widths[i] - _width(cell))
            padded.append(gap + cell if i in right else cell + gap)
        return "  ".join(padded).rstrip()

    return [line(headings), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def _p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + percent(value)


def render(evaluation: Evaluation) -> str:
    t = evaluation.thresholds
    conf = f"{t.confidence * 100:g}%"
    lines = [f"Verdict: {evaluation.verdict}", ""]
    lines += ["Reasons:", *(f"  - {sentence}" for sentence in evaluation.sentences()), ""]

    def estimate_line(title: str, e: Estimate, unit: str) -> str:
        interval = f"{conf} interval {percent(e.low)} to {percent(e.high)}"
        return f"{title}: {percent(e.estimate)} ({interval}), {unit} {_count(e.n)}"

    if evaluation.adoption_weighted is not None:
        lines.append(estimate_line("Overall adoption, weighted to population", evaluation.adoption_weighted,
                                   "effective n"))
        lines.append(estimate_line("Overall adoption, pooled", evaluation.adoption_pooled, "n"))
    else:
        lines.append(estimate_line("Overall adoption", evaluation.adoption_pooled, "n"))
    lines.append(
        estimate_line("Satisfaction", evaluation.satisfaction, "ratings")
        if evaluation.satisfaction.n else "Satisfaction: no ratings"
    )
    lines.append(
        f"Targets: adoption {percent(t.adoption_target)}, equity floor {percent(t.equity_floor)}, satisfaction "
        f"{percent(t.satisfaction_target)}, viability floor {percent(t.viability_floor)}, at least {t.min_n} "
        f"respondents per segment"
    )
    if evaluation.homogeneity:
        h = evaluation.homogeneity
        lines.append(
            f"Do segments differ? chi-square {h['statistic']:.2f}, {h['dof']} degrees of freedom, p {_p(h['p_value'])}"
        )
    lines += ["", "Segments:"]
    lines += table(
        ["district", "age band", "n", "adoption", "low", "high", "state", "more needed"],
        [
            [s.district, s.age_band, _count(s.n), percent(s.estimate), percent(s.low), percent(s.high), str(s.state),
             "–" if s.more_needed is None else _count(s.more_needed)]
            for s in evaluation.segments
        ],
        right={2, 3, 4, 5, 7},
    )
    if evaluation.changes:
        lines += ["", f"Changes from the previous cycle (adoption, {conf} interval of the difference, "
                      "Holm-adjusted p):"]
        lines += table(
            ["district", "age band", "before", "now", "difference", "low", "high", "p", "p adjusted"],
            [
                [c.district, c.age_band, percent(c.previous), percent(c.current), _signed(c.difference),
                 _signed(c.low), _signed(c.high), _p(c.p_value), _p(c.p_adjusted)]
                for c in evaluation.changes
            ],
            right={2, 3, 4, 5, 6, 7, 8},
        )
        if evaluation.overall_change:
            o = evaluation.overall_change
            lines.append(f"Overall, within segments (Cochran–Mantel–Haenszel): p {_p(o['p_value'])}")
    if evaluation.notes:
        lines += ["", "Notes:", *(f"  - {note}" for note in evaluation.notes)]
    return "\n".join(lines)


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


"""The inputs and results of a readiness evaluation, and how they read in words.

`pilots.verdict` computes an evaluation; this module holds what goes in (thresholds, segment
counts, population figures) and what comes out (verdict, states, estimates, segments, changes,
reasons and notes), with the sentences and dicts the pages, the `evaluate_counts` command and
its JSON make of them. Kept apart so the callers that only read or show a result (forms,
models, charts, reports) need not import the computation, and so each module stays short.

Pure (no Django). Sentences are English here and translated by the caller: every method that
writes text takes a ``gettext`` function, so the pages pass Django's and the command line
keeps the identity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from pilots import stats

Translate = Callable[[str], str]
Label = Callable[[str], str]


def _same(text: str) -> str:
    return text


class Verdict(StrEnum):
    READY_TO_SCALE = "READY_TO_SCALE"
    KEEP_OPTIMIZING = "KEEP_OPTIMIZING"
    NEEDS_MORE_DATA = "NEEDS_MORE_DATA"
    NOT_VIABLE = "NOT_VIABLE"


class State(StrEnum):
    # A criterion's state, not a password.
    PASS = "pass"  # nosec B105
    BELOW = "below"
    UNPROVEN = "unproven"
    INSUFFICIENT = "insufficient"


@dataclass(frozen=True)
class Thresholds:
    """A pilot's targets, as proportions (0.6 for 60%)."""

    adoption_target: float = 0.6
    equity_floor: float = 0.4
    satisfaction_target: float = 0.7
    viability_floor: float = 0.15
    min_n: int = 30
    confidence: float = 0.95

    def problems(self) -> list[str]:
        found = []
        for name in ("adoption_target", "equity_floor", "satisfaction_target", "viability_floor"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
                found.append(f"{name.replace('_', ' ')} must be a proportion between 0 and 1, got {value!r}")
        if not (isinstance(self.confidence, (int, float)) and 0.5 <= self.confidence < 1.0):
            found.append(f"confidence must be at least 0.5 and below 1, got {self.confidence!r}")
        if not (isinstance(self.min_n, int) and self.min_n >= 0):
            found.append(f"minimum respondents per segment must be a whole number 0 or more, got {self.min_n!r}")
        return found


@dataclass(frozen=True)
class Counts:
    """One entry per segment (district x age band). `satisfied`/`rated` may be absent."""

    district: tuple[str, ...]
    age_band: tuple[str, ...]
    eligible: np.ndarray
    adopters: np.ndarray
    satisfied: np.ndarray | None = None
    rated: np.ndarray | None = None

    @classmethod
    def of(
        cls,
        rows: Iterable[Sequence],
    ) -> Counts:
        """From rows (district, age_band, eligible, adopters[, satisfied, rated]). When any row
        has ratings, a row without them is a segment where nobody rated (0 of 0): the same rule
        as the count files, so a file and its import give one verdict."""
        rows = list(rows)
        with_satisfaction = any(len(r) >= 6 and r[5] is not None for r in rows)

        def rating(r: Sequence, i: int) -> int:
            return (r[i] or 0) if len(r) >= 6 else 0

        return cls(
            district=tuple(str(r[0]) for r in rows),
            age_band=tuple(str(r[1]) for r in rows),
            eligible=np.array([r[2] for r in rows], dtype=np.int64),
            adopters=np.array([r[3] for r in rows], dtype=np.int64),
            satisfied=np.array([rating(r, 4) for r in rows], dtype=np.int64) if with_satisfaction else None,
            rated=np.array([rating(r, 5) for r in rows], dtype=np.int64) if with_satisfaction else None,
        )

    def __post_init__(self) -> None:
        size = len(self.district)
        if len(self.age_band) != size or self.eligible.shape != (size,) or self.adopters.shape != (size,):
            raise ValueError("every segment needs a district, an age band, eligible and adopters")
        if np.any(self.eligible < 0) or np.any(self.adopters < 0) or np.any(self.adopters > self.eligible):
            raise ValueError("adopters must lie between 0 and eligible in every segment")
        if (self.satisfied is None) != (self.rated is None):
            raise ValueError("satisfied and rated come together")
        if self.rated is not None and (np.any(self.satisfied < 0) or np.any(self.satisfied > self.rated)):
            raise ValueError("satisfied must lie between 0 and rated in every segment")
        if len(set(zip(self.district, self.age_band, strict=True))) != size:
            raise ValueError("a segment (district and age band) appears twice")

    def __len__(self) -> int:
        return len(self.district)


@dataclass(frozen=True)
class Population:
    """Population figures: cells (district, age band) or margins (one of them blank)."""

    district: tuple[str, ...]
    age_band: tuple[str, ...]
    population: np.ndarray

    @classmethod
    def of(cls, rows: Iterable[Sequence]) -> Population:
        rows = list(rows)
        return cls(
            district=tuple(str(r[0]) for r in rows),
            age_band=tuple(str(r[1]) for r in rows),
            population=np.array([r[2] for r in rows], dtype=float),
        )


@dataclass(frozen=True)
class Estimate:
    estimate: float | None  # None when there is nobody to estimate from
    low: float
    high: float
    n: float  # respondents; Kish effective n for a weighted estimate

    def as_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "n": _number(self.n)}


# Segments and changes are made by the ten thousand for a city-wide cycle: named tuples build
# several times faster than frozen dataclasses (which set each field through
# object.__setattr__), and are just as immutable.
class Segment(NamedTuple):
    district: str
    age_band: str
    n: int
    estimate: float | None
    low: float
    high: float
    state: State
    more_needed: int | None  # more respondents for the lower bound to reach the floor

    def as_dict(self) -> dict:
        return {
            "district": self.district,
            "age_band": self.age_band,
            "n": self.n,
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "state": str(self.state),
            "more_needed": self.more_needed,
        }


class Change(NamedTuple):
    district: str
    age_band: str
    previous: float
    current: float
    difference: float
    low: float
    high: float
    p_value: float
    p_adjusted: float

    @property
    def significant(self) -> bool:
        return self.p_adjusted < 0.05

    def as_dict(self) -> dict:
        return {
            "district": self.district,
            "age_band": self.age_band,
            "previous": self.previous,
            "current": self.current,
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
        }


def percent(value: float | None) -> str:
    """"48.7%", and "50%" rather than "50.0%" for a round threshold."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    shown = round(value * 100, 1)
    return f"{shown:.0f}%" if shown.is_integer() else f"{shown:.1f}%"


def segment_name(district: str, age_band: str, gettext: Translate = _same, label: Label = _same) -> str:
    if district and age_band:
        return gettext("{age_band} in {district}").format(age_band=label(age_band), district=label(district))
    if district or age_band:
        return label(district or age_band)
    return gettext("residents who gave no age band or district")


@dataclass(frozen=True)
class Reason:
    """Why the verdict is what it is: one criterion, with the numbers a sentence needs."""

    code: str
    estimate: float | None = None
    low: float = 0.0
    high: float = 1.0
    threshold: float = 0.0
    n: float = 0
    district: str = ""
    age_band: str = ""
    more_needed: int | None = None
    minimum: int = 0
    count: int = 0

    def sentence(self, confidence: float, gettext: Translate = _same, label: Label = _same) -> str:
        values = {
            "segment": segment_name(self.district, self.age_band, gettext, label),
            "estimate": percent(self.estimate),
            "low": percent(self.low),
            "high": percent(self.high),
            "threshold": percent(self.threshold),
            "confidence": f"{confidence * 100:g}%",
            "n": _number(round(self.n)),
            "more": self.more_needed,
            "minimum": self.minimum,
            "count": self.count,
        }
        templates = {
            "not_viable": gettext(
                "Overall adoption is {estimate} ({confidence} interval {low} to {high}): even the upper "
                "bound is below the viability floor of {threshold}."
            ),
            "segment_below": gettext(
                "{segment}: adoption {estimate} ({confidence} interval {low} to {high}, {n} respondents) "
                "is below the equity floor of {threshold}."
            ),
            "segment_insufficient": gettext(
                "{segment}: only {n} respondents, fewer than the minimum of {minimum}; adoption so far "
                "{estimate} ({confidence} interval {low} to {high}) against the equity floor of {threshold}."
            ),
            "segment_unproven": gettext(
                "{segment}: adoption {estimate} ({confidence} interval {low} to {high}, {n} respondents) "
                "is above the equity floor of {threshold}, but the lower bound is not yet."
            ),
            "segments_pass": gettext(
                "All {count} segments reach the equity floor of {threshold}: the lowest lower bound is "
                "{low} ({segment})."
            ),
            "adoption_below": gettext(
                "Overall adoption {estimate} ({confidence} interval {low} to {high}) is below the target "
                "of {threshold}."
            ),
            "adoption_unproven": gettext(
                "Overall adoption {estimate} ({confidence} interval {low} to {high}) is above the target "
                "of {threshold}, but the lower bound is not yet."
            ),
            "adoption_pass": gettext(
                "Overall adoption {estimate} ({confidence} interval {low} to {high}) reaches the target "
                "of {threshold}."
            ),
            "satisfaction_below": gettext(
                "Satisfaction {estimate} ({confidence} interval {low} to {high}, {n} ratings) is below "
                "the target of {threshold}."
            ),
            "satisfaction_unproven": gettext(
                "Satisfaction {estimate} ({confidence} interval {low} to {high}, {n} ratings) is above "
                "the target of {threshold}, but the lower bound is not yet."
            ),
            "satisfaction_pass": gettext(
                "Satisfaction {estimate} ({confidence} interval {low} to {high}, {n} ratings) reaches the "
                "target of {threshold}."
            ),
            "satisfaction_missing": gettext(
                "No satisfaction ratings yet: the target of {threshold} cannot be checked."
            ),
        }
        text = templates[self.code].format(**values)
        if self.code in ("segment_insufficient", "segment_unproven"):
            if self.more_needed is None:
                text += " " + gettext("At the current rate no number of extra respondents would settle it.")
            else:
                text += " " + gettext("About {more} more respondents would settle it at the current rate.").format(
                    **values
                )
        return text


@dataclass(frozen=True)
class Note:
    """Something the reader should know about how the figures were weighted."""

    code: str
    count: int = 0
    district: str = ""
    age_band: str = ""

    def text(self, gettext: Translate = _same, label: Label = _same) -> str:
        templates = {
            "no_population_figure": gettext(
                "{count} segment(s) have no population figure and are left out of the weighted estimate, "
                "for example {segment}."
            ),
            "population_matches_nothing": gettext(
                "The population figures match none of the segments; adoption is pooled."
            ),
            "population_cells_uncovered": gettext(
                "Some population cells have no respondents; the weighted estimate represents the others only."
            ),
            "raking_impossible": gettext(
                "A district or age band has people in the population figures but no respondents, so the "
                "margins cannot be matched; adoption is pooled."
            ),
            "raking_not_converged": gettext(
                "Raking did not converge on the population margins; the weights are approximate."
            ),
            "population_unusable": gettext(
                "Population figures need district and age-band cells, or both district and age-band totals; "
                "adoption is pooled."
            ),
        }
        return templates[self.code].format(
            count=self.count, segment=segment_name(self.district, self.age_band, gettext, label)
        )

    def __str__(self) -> str:
        return self.text()


@dataclass
class Evaluation:
    verdict: Verdict
    reasons: list[Reason]
    thresholds: Thresholds
    adoption: Estimate  # the one judged: weighted when population figures exist
    adoption_pooled: Estimate
    adoption_weighted: Estimate | None
    satisfaction: Estimate
    adoption_state: State
    satisfaction_state: State
    segments: list[Segment]
    homogeneity: dict | None  # None: fewer than two segments with people, nothing to compare
    changes: list[Change] = field(default_factory=list)
    overall_change: dict | None = None
    notes: list[Note] = field(default_factory=list)

    def note_sentences(self, gettext: Translate = _same, label: Label = _same) -> list[str]:
        return [note.text(gettext, label) for note in self.notes]

    def sentences(self, gettext: Translate = _same, label: Label = _same) -> list[str]:
        return [r.sentence(self.thresholds.confidence, gettext, label) for r in self.reasons]

    def as_dict(self) -> dict:
        """The `evaluate_counts --json` format (plus a few keys the pages use); JSON-ready."""
        return {
            "verdict": str(self.verdict),
            "reasons": self.sentences(),
            "overall": {
                "adoption": {**self.adoption.as_dict(), "weighted": self.adoption_weighted is not None,
                             "state": str(self.adoption_state)},
                "adoption_pooled": self.adoption_pooled.as_dict(),
                "adoption_weighted": self.adoption_weighted.as_dict() if self.adoption_weighted else None,
                "satisfaction": {**self.satisfaction.as_dict(), "state": str(self.satisfaction_state)},
            },
            "segments": [s.as_dict() for s in self.segments],
            # Always the object the format promises: with fewer than two segments with people
            # there is nothing to compare, and the test says so as chi2_homogeneity does
            # (statistic 0, p 1, no degrees of freedom). The pages show no test then.
            "homogeneity": self.homogeneity if self.homogeneity is not None else homogeneity_summary([], []),
            "changes": [c.as_dict() for c in self.changes],
            "overall_change": self.overall_change,
            "thresholds": {
                "adoption_target": self.thresholds.adoption_target,
                "equity_floor": self.thresholds.equity_floor,
                "satisfaction_target": self.thresholds.satisfaction_target,
                "viability_floor": self.thresholds.viability_floor,
                "min_n": self.thresholds.min_n,
                "confidence": self.thresholds.confidence,
            },
            "notes": self.note_sentences(),
        }


def _number(value):
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)


def homogeneity_summary(successes, totals) -> dict:
    statistic, p_value, dof = stats.chi2_homogeneity(successes, totals)
    return {"statistic": float(statistic), "p_value": float(p_value), "dof": int(dof)}

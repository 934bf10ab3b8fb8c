"""What a cycle's page shows, in words and formatted numbers, from its evaluation.

The evaluation speaks in codes and proportions (`pilots.verdict`); a page needs sentences,
segment names and "48.7%". Formatting here keeps the templates free of arithmetic and the
verdict module free of Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilots.evaluation import CycleEvaluation
from pilots.verdict_types import Estimate, State, Verdict, percent, segment_name

VERDICT_WORDS = {
    Verdict.READY_TO_SCALE: gettext_lazy("Ready to scale"),
    Verdict.KEEP_OPTIMIZING: gettext_lazy("Keep optimizing"),
    Verdict.NEEDS_MORE_DATA: gettext_lazy("Needs more data"),
    Verdict.NOT_VIABLE: gettext_lazy("Not viable"),
}
# CSS class suffixes: a border style and a symbol per verdict, besides the words.
VERDICT_CLASS = {
    Verdict.READY_TO_SCALE: "ready",
    Verdict.KEEP_OPTIMIZING: "optimize",
    Verdict.NEEDS_MORE_DATA: "more-data",
    Verdict.NOT_VIABLE: "not-viable",
}
STATE_WORDS = {
    State.PASS: gettext_lazy("Reaches it"),
    State.BELOW: gettext_lazy("Below it"),
    State.UNPROVEN: gettext_lazy("Not yet proven"),
    State.INSUFFICIENT: gettext_lazy("Too few respondents"),
}
SOURCE_WORDS = {
    "counts": gettext_lazy("counts imported from the operator's system"),
    "survey": gettext_lazy("answers to the evaluation survey"),
}


def verdict_words(verdict: str | None) -> str:
    if not verdict:
        return _("No figures yet")
    return str(VERDICT_WORDS.get(Verdict(verdict), verdict))


def verdict_class(verdict: str | None) -> str:
    return VERDICT_CLASS.get(Verdict(verdict), "none") if verdict else "none"


def interval(low: float, high: float) -> str:
    return _("%(low)s to %(high)s") % {"low": percent(low), "high": percent(high)}


def points(value: float) -> str:
    """A difference of proportions in percentage points, signed: "+12.5", "−3", "0"."""
    shown = round(value * 100, 1)
    if shown == 0:
        return "0"
    text = f"{abs(shown):.0f}" if float(shown).is_integer() else f"{abs(shown):.1f}"
    return ("+" if shown > 0 else "−") + text


def p_value(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def p_text(value: float | None) -> str:
    """For a sentence: "= 0.223" or "< 0.001", after a "p"."""
    shown = p_value(value)
    return shown if shown.startswith("<") else f"= {shown}"


def number(value: float) -> str:
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


@dataclass(frozen=True)
class Figure:
    """An overall estimate as a page shows it."""

    label: str
    estimate: str
    interval: str
    n: str
    state: str = ""


def figure(label: str, estimate: Estimate | None, state: State | None = None) -> Figure | None:
    if estimate is None:
        return None
    return Figure(
        label=label,
        estimate=percent(estimate.estimate),
        interval=interval(estimate.low, estimate.high) if estimate.estimate is not None else "–",
        n=number(estimate.n),
        state=str(STATE_WORDS[state]) if state is not None else "",
    )


def cycle_page(result: CycleEvaluation, labels: dict[str, str]) -> dict[str, object]:
    """The verdict banner, overall figures, segment and change tables of one cycle."""
    label = lambda code: labels.get(code, code)  # noqa: E731 - the verdict module's label hook
    evaluation = result.evaluation
    sources = [
        (_("Adoption"), str(SOURCE_WORDS.get(result.sources.adoption, _("no figures yet")))),
        (_("Satisfaction"), str(SOURCE_WORDS.get(result.sources.satisfaction, _("no ratings yet")))),
    ]
    if evaluation is None:
        return {"verdict": None, "verdict_words": verdict_words(None), "verdict_class": "none", "sources": sources}
    thresholds = evaluation.thresholds
    segments = [
        {
            "name": segment_name(s.district, s.age_band, _, label),
            "n": s.n,
            "estimate": percent(s.estimate),
            "interval": interval(s.low, s.high) if s.estimate is not None else "–",
            "state": str(STATE_WORDS[s.state]),
            "state_code": str(s.state),
            "more_needed": (
                "–" if s.state == State.PASS
                else s.more_needed if s.more_needed is not None
                else (_("none would settle it") if s.state in (State.UNPROVEN, State.INSUFFICIENT) else "–")
            ),
        }
        for s in evaluation.segments
    ]
    changes = [
        {
            "name": segment_name(c.district, c.age_band, _, label),
            "previous": percent(c.previous),
            "current": percent(c.current),
            "difference": points(c.difference),
            "interval": _("%(low)s to %(high)s") % {"low": points(c.low), "high": points(c.high)},
            "p_value": p_value(c.p_value),
            "p_adjusted": p_value(c.p_adjusted),
            "significant": c.significant,
        }
        for c in evaluation.changes
    ]
    overall_change = None
    if evaluation.overall_change:
        overall_change = {
            "statistic": f"{evaluation.overall_change['statistic']:.2f}",
            "p_value": p_text(evaluation.overall_change["p_value"]),
            "segments": evaluation.overall_change["segments"],
            "significant": evaluation.overall_change["p_value"] < 0.05,
        }
    homogeneity = None
    if evaluation.homogeneity:
        homogeneity = {
            "statistic": f"{evaluation.homogeneity['statistic']:.2f}",
            "dof": evaluation.homogeneity["dof"],
            "p_value": p_text(evaluation.homogeneity["p_value"]),
            "differs": evaluation.homogeneity["p_value"] < 0.05,
        }
    weighted = evaluation.adoption_weighted is not None
    return {
        "verdict": str(evaluation.verdict),
        "verdict_words": verdict_words(evaluation.verdict),
        "verdict_class": verdict_class(evaluation.verdict),
        "reasons": evaluation.sentences(_, label),
        "sources": sources,
        "notes": evaluation.note_sentences(_, label),
        "adoption_weighted": figure(_("Weighted to the population"), evaluation.adoption_weighted,
                                    evaluation.adoption_state if weighted else None),
        "adoption_pooled": figure(_("Pooled respondents"), evaluation.adoption_pooled,
                                  None if weighted else evaluation.adoption_state),
        "satisfaction": figure(_("Satisfaction"), evaluation.satisfaction, evaluation.satisfaction_state),
        "weighted": weighted,
        "confidence": f"{thresholds.confidence * 100:g}%",
        "targets": {
            "adoption": percent(thresholds.adoption_target),
            "equity": percent(thresholds.equity_floor),
            "satisfaction": percent(thresholds.satisfaction_target),
            "viability": percent(thresholds.viability_floor),
            "min_n": thresholds.min_n,
        },
        "segments": segments,
        "changes": changes,
        "overall_change": overall_change,
        "homogeneity": homogeneity,
    }

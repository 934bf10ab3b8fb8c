"""The demo pilots tell the issue's story, with the verdicts the pages will show, and a
second seed changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import translation

from citylab import demo as city
from citylab.models import AuditEvent, Team, User
from pilots import demo
from pilots.evaluation import evaluate_cycle, segment_labels
from pilots.models import Cycle, CycleChange, Decision, DecisionKind, Pilot, SegmentCount, Stage, Variant
from pilots.services import WorkflowError, decision_record
from pilots.verdict_types import Verdict


@pytest.fixture
def team(db) -> Team:
    # The whole demo city (places, population, team and users), as `manage.py seed_demo` makes it.
    city.seed_demo()
    return Team.objects.get(code=city.TEAM.code)


@pytest.fixture
def seeded(team) -> str:
    return apps.get_app_config("pilots").seed_demo(team=team)


def cycle(pilot_name: str, number: int) -> Cycle:
    return Cycle.objects.get(pilot__name=pilot_name, number=number)


def verdict_of(pilot_name: str, number: int):
    previous = cycle(pilot_name, number - 1) if number > 1 else None
    return evaluate_cycle(cycle(pilot_name, number), previous).evaluation


def adoption(cycle: Cycle, bands: tuple[str, ...]) -> float:
    rows = SegmentCount.objects.filter(cycle=cycle, age_band__code__in=bands)
    return sum(r.adopters for r in rows) / sum(r.eligible for r in rows)


def test_hook_says_what_it_made(seeded):
    assert seeded.startswith(
        "pilot '澜海社区通（长辈版）试点' with 2 cycle(s), pilot '南山区停车诱导试点' with 1 cycle(s); panel "
    )


def test_app_cycle_1_keeps_optimizing_because_of_residents_over_60(seeded):
    evaluation = verdict_of(demo.APP.name, 1)
    assert evaluation.verdict is Verdict.KEEP_OPTIMIZING
    segments_named = {(r.district, r.age_band) for r in evaluation.reasons if r.code.startswith("segment_")}
    assert segments_named == {(d, b) for d in ("laocheng", "yugang") for b in ("60-69", "70+")}
    assert 0.17 < adoption(cycle(demo.APP.name, 1), ("60-69", "70+")) < 0.23


def test_app_cycle_1_was_decided_optimize_again_on_that_verdict(seeded):
    first = cycle(demo.APP.name, 1)
    decision = Decision.objects.get(cycle=first)
    assert decision.kind == DecisionKind.OPTIMIZE
    assert decision.verdict == "KEEP_OPTIMIZING" == decision.snapshot["verdict"]
    evaluation = verdict_of(demo.APP.name, 1)
    assert decision.snapshot["segments"] == evaluation.as_dict()["segments"]
    # The reasons are kept as the planner read them, in Chinese.
    with translation.override("zh-hans"):
        labels = segment_labels()
        read = evaluation.sentences(translation.gettext, lambda code: labels.get(code, code))
    assert decision.snapshot["reasons"] == read
    assert decision.decided_by.email == "planner@lanhai.example"
    assert first.stage == Stage.OPTIMIZING


def test_app_cycle_2_is_ready_to_scale_and_awaits_the_decision(seeded):
    second = cycle(demo.APP.name, 2)
    evaluation = verdict_of(demo.APP.name, 2)
    assert evaluation.verdict is Verdict.READY_TO_SCALE
    assert 0.74 < adoption(second, ("60-69", "70+")) < 0.76  # "75% in cycle 2"
    assert 0.89 < evaluation.satisfaction.estimate < 0.91  # "with 90% satisfied"
    assert evaluation.satisfaction.n == 2266
    # The change from cycle 1 for the older residents is clear even after Holm's adjustment.
    older = [c for c in evaluation.changes if c.age_band in ("60-69", "70+")]
    assert len(older) == 4 and all(c.low > 0.4 and c.significant for c in older)
    assert second.stage == Stage.PILOTING and not second.decisions.exists()


@pytest.mark.parametrize("rationale", ["", "  \n "])
def test_a_decision_without_a_rationale_is_refused_and_nothing_is_written(seeded, rationale):
    # The decision form requires a rationale; the service refuses one without it too, for
    # every other caller (the seed, a script).
    second = cycle(demo.APP.name, 2)
    planner = User.objects.get(email="planner@lanhai.example")
    events = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(WorkflowError, match="^Write why you decide this.$"):
        decision_record(cycle=second, kind=DecisionKind.SCALE, rationale=rationale, user=planner)
    second.refresh_from_db()
    assert not second.decisions.exists() and second.stage == Stage.PILOTING
    assert AuditEvent.objects.count() == events
    with translation.override("zh-hans"), pytest.raises(WorkflowError, match="请写明作这个决定的理由"):
        decision_record(cycle=second, kind=DecisionKind.SCALE, rationale=rationale, user=planner)
    decision = decision_record(cycle=second, kind=DecisionKind.SCALE, rationale="  各年龄段都达标。 ", user=planner)
    assert decision.rationale == "各年龄段都达标。"


def test_app_cycle_2_records_what_changed_and_why_and_its_variants(seeded):
    second = cycle(demo.APP.name, 2)
    changes = list(CycleChange.objects.filter(cycle=second))
    assert [c.what[:3] for c in changes] == ["推出大", "社区活"]
    assert all(len(c.reason) > 40 and c.created_by.email == "planner@lanhai.example" for c in changes)
    variants = {v.age_band.code: v.description for v in Variant.objects.filter(cycle=second)}
    assert "钥匙扣" in variants["70+"] and "大字" in variants["60-69"]
    assert sorted(second.sites.values_list("code", flat=True)) == ["gulou", "mazumiao"]


def test_parking_guidance_is_not_viable(seeded):
    evaluation = verdict_of(demo.PARKING.name, 1)
    assert evaluation.verdict is Verdict.NOT_VIABLE
    assert 0.07 < evaluation.adoption.estimate < 0.09
    assert set(SegmentCount.objects.filter(cycle__pilot__name=demo.PARKING.name)
               .values_list("district__code", flat=True)) == {"nanshan"}


def test_counts_are_imported_like_an_operators_file_and_pass_the_minimum(seeded):
    for pilot in Pilot.objects.all():
        for each in pilot.cycles.all():
            assert each.counts_file_name.endswith(f"-cycle-{each.number}.csv")
            assert each.counts_imported_by.email == "clerk@lanhai.example"
            assert min(each.segment_counts.values_list("eligible", flat=True)) >= pilot.min_respondents
    assert AuditEvent.objects.filter(action="pilot.counts_imported").count() == 3


def snapshot() -> dict[str, list]:
    return {
        "pilots": list(Pilot.objects.values_list("pk", "name", "service", "created_by")),
        "cycles": list(Cycle.objects.values_list("pk", "stage", "counts_imported_at", "counts_file_name")),
        "counts": list(SegmentCount.objects.order_by("pk").values_list()),
        "changes": list(CycleChange.objects.values_list("pk", "what", "reason", "created_at")),
        "variants": list(Variant.objects.values_list("pk", "description", "age_band")),
        "decisions": list(Decision.objects.values_list("pk", "kind", "decided_at")),
        "sites": list(Cycle.sites.through.objects.order_by("pk").values_list()),
        "audit": list(AuditEvent.objects.values_list("pk")),
    }


def test_second_run_changes_nothing(team, seeded):
    before = snapshot()
    assert apps.get_app_config("pilots").seed_demo(team=team) == seeded
    assert snapshot() == before


def test_second_run_puts_back_edited_counts_and_stage(team, seeded):
    first = cycle(demo.APP.name, 1)
    SegmentCount.objects.filter(cycle=first, age_band__code="70+").update(adopters=1)
    Cycle.objects.filter(pk=first.pk).update(stage=Stage.STOPPED)
    demo.seed_demo(team=team)
    first.refresh_from_db()
    assert first.stage == Stage.OPTIMIZING
    assert adoption(first, ("70+",)) == pytest.approx((87 + 44) / (512 + 276))
    assert Decision.objects.filter(cycle=first).count() == 1


def test_seed_demo_command_includes_the_pilots(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    assert "pilots: pilot '澜海社区通（长辈版）试点'" in out.getvalue()
    assert verdict_of(demo.APP.name, 2).verdict is Verdict.READY_TO_SCALE


def test_without_the_demo_city_it_says_so(db):
    team = Team.objects.create(code="x", name_zh="x", name_en="x")
    assert demo.seed_demo(team=team).startswith("no demo pilots: the demo city's districts are missing")
    assert not Pilot.objects.exists()


# --- Staff link ----------------------------------------------------------------------------


def test_staff_links_to_pilots_and_panels(db):
    with translation.override("en"):
        links = apps.get_app_config("pilots").staff_links(User(email="x@example.org"))
    assert links == [
        ("Portfolio: every pilot and open survey at a glance", "/staff/portfolio/"),
        ("Pilots: cycles, verdicts and decisions", "/staff/pilots/"),
        ("Experience-officer panels: quotas, coverage and test tasks", "/staff/panels/"),
        ("Experience officers: applications to approve, registration in person", "/staff/officers/"),
    ]


def test_the_demo_officer_signs_in_to_their_own_page(client, seeded):
    from citylab.demo import DEMO_PASSWORD
    from pilots.demo_feedback import DEMO_OFFICER_EMAIL

    assert client.login(email=DEMO_OFFICER_EMAIL, password=DEMO_PASSWORD)
    home = client.get("/staff/", follow=True)
    assert home.redirect_chain[-1][0] == "/officer/"
    text = home.content.decode()
    assert "推出大字版" in text  # the change their cycle-1 feedback led to
    assert "/report/" in text  # and a cycle-2 task still to report on

"""Quotas (the grid and derived from population) and the coverage page."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilots.models import OfficerStatus, Quota
from pilots.panel_forms import quota_field_name
from pilots.panels import coverage_report
from tests.pilots.officer_factories import make_officer
from tests.pilots.test_panels_views import (  # noqa: F401  (fixtures)
    english,
    member,
    occupations,
    other_panel,
    panel,
    population,
    url,
)


def grid(panel, places, occupations, values: dict) -> dict[str, str]:
    """The posted grid: every box empty except `values` {(band index, occupation index): text}."""
    data = {}
    for b, band in enumerate(places["bands"]):
        for o, occupation in enumerate(occupations):
            data[quota_field_name((band.pk, occupation.pk, None))] = values.get((b, o), "")
    return data


def test_the_grid_is_a_table_with_headers_and_labels(client, planner, panel, places, occupations):
    client.force_login(planner)
    page = client.get(url("panel_quotas", pk=panel.pk)).content.decode()
    assert '<th scope="col">Retired</th>' in page and '<th scope="row">70+</th>' in page
    name = quota_field_name((places["bands"][4].pk, occupations[2].pk, None))
    assert f'for="id_{name}">70+ · Manual worker</label>' in page
    assert page.count('type="number"') == 5 * 3


def test_planner_saves_the_grid(client, planner, panel, places, occupations):
    client.force_login(planner)
    response = client.post(url("panel_quotas", pk=panel.pk), grid(panel, places, occupations, {(4, 2): "3", (0, 1): "2"}))
    assert response["Location"] == url("panel_coverage", pk=panel.pk)
    stored = set(panel.quotas.values_list("age_band__code", "occupation__code", "district", "target"))
    assert stored == {("70+", "manual", None, 3), ("18-29", "office", None, 2)}


@pytest.mark.parametrize("bad,message", [("-1", "Enter 0 or more."), ("10001", "Enter 10000 or fewer."),
                                         ("two", "Enter a whole number.")])
def test_bad_targets_are_refused_and_nothing_changes(client, planner, panel, places, occupations, bad, message):
    Quota.objects.create(panel=panel, age_band=places["bands"][0], occupation=occupations[0], target=5)
    client.force_login(planner)
    response = client.post(url("panel_quotas", pk=panel.pk), grid(panel, places, occupations, {(4, 2): bad, (1, 1): "4"}))
    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert message in text and "70+ · Manual worker: " in text and "<title>Error:" in text
    assert list(panel.quotas.values_list("target", flat=True)) == [5]
    assert 'value="4"' in text  # what was typed is kept


def test_quotas_per_district_have_one_table_per_district(client, planner, panel, places, occupations):
    panel.quota_by_district = True
    panel.save()
    old = places["districts"][0]
    client.force_login(planner)
    page = client.get(url("panel_quotas", pk=panel.pk)).content.decode()
    assert page.count("<table") == 2 and "Targets in Old Town" in page
    data = {quota_field_name((places["bands"][3].pk, occupations[0].pk, old.pk)): "6"}
    client.post(url("panel_quotas", pk=panel.pk), data)
    assert list(panel.quotas.values_list("district", "target")) == [(old.pk, 6)]


def test_targets_derived_from_population_add_up(client, planner, panel, places, occupations, population):
    client.force_login(planner)
    response = client.post(url("panel_quotas_derive", pk=panel.pk),
                           {"size": 31, "occupations": [o.pk for o in occupations]})
    assert response.status_code == HTTPStatus.FOUND
    # Five bands of equal population: 31 = 7 + 6 + 6 + 6 + 6; each split over 3 occupations.
    assert sum(panel.quotas.values_list("target", flat=True)) == 31
    first = sorted(panel.quotas.filter(age_band=places["bands"][0]).values_list("target", flat=True))
    assert first == [2, 2, 3]


def test_deriving_per_district_follows_the_population(client, planner, panel, places, occupations, population):
    panel.quota_by_district = True
    panel.save()
    client.force_login(planner)
    client.post(url("panel_quotas_derive", pk=panel.pk), {"size": 40, "occupations": [occupations[0].pk]})
    old, port = places["districts"]
    assert sum(panel.quotas.filter(district=old).values_list("target", flat=True)) == 30
    assert sum(panel.quotas.filter(district=port).values_list("target", flat=True)) == 10


@pytest.mark.parametrize("data,message", [
    ({"size": "0"}, "Enter a number from 1 to 10000."),
    ({"size": "-5"}, "Enter a number from 1 to 10000."),
    ({"size": ""}, "Enter how many officers the panel should have."),
    ({"size": "10"}, "Choose at least one occupation."),
])
def test_bad_derive_input_is_refused(client, planner, panel, occupations, population, data, message):
    client.force_login(planner)
    if "occupations" not in data and data["size"] != "10":
        data["occupations"] = [occupations[0].pk]
    response = client.post(url("panel_quotas_derive", pk=panel.pk), data)
    assert message in response.content.decode()
    assert not panel.quotas.exists()


def test_deriving_without_population_says_so(client, planner, panel, places, occupations):
    client.force_login(planner)
    response = client.post(url("panel_quotas_derive", pk=panel.pk), {"size": 10, "occupations": [occupations[0].pk]})
    assert "There are no population figures yet" in response.content.decode()


# --- Coverage -----------------------------------------------------------------------------------


@pytest.fixture
def covered(panel, places, occupations, population):
    """Quotas: 18-29 office 2, 70+ manual 3. Members: 2 young office workers (Old Town), one 70+
    manual worker (New Harbour), and a withdrawn and a pending member who do not count."""
    young, old = places["bands"][0], places["bands"][4]
    office, manual = occupations[1], occupations[2]
    Quota.objects.create(panel=panel, age_band=young, occupation=office, target=2)
    Quota.objects.create(panel=panel, age_band=old, occupation=manual, target=3)
    for _ in range(2):
        member(panel, age_band=young, occupation=office)
    member(panel, age_band=old, occupation=manual, district=places["districts"][1])
    member(panel, age_band=old, occupation=manual, status=OfficerStatus.WITHDRAWN)
    member(panel, age_band=old, occupation=manual, status=OfficerStatus.PENDING)
    applicant = make_officer(panel.team, age_band=old, occupation=manual, status=OfficerStatus.PENDING,
                             full_name="李建国")
    make_officer(panel.team, age_band=young, occupation=office, status=OfficerStatus.PENDING, full_name="张子涵")
    return applicant


def test_coverage_report_by_hand(panel, covered, places):
    report = coverage_report(panel)
    assert (report.target_total, report.member_total, report.shortfall_total) == (5, 3, 2)
    [gap] = report.gaps
    assert (gap.age_band.code, gap.occupation.code, gap.shortfall) == ("70+", "manual", 2)
    assert gap.applicants == [covered]
    # Panel by band × district: (18-29, Old Town) 2/3, (70+, New Harbour) 1/3. Population: each
    # of the 10 cells; Old Town cells 300/2000 = .15, New Harbour 100/2000 = .05.
    # D = ½ (|2/3 − .15| + |1/3 − .05| + 4 × .15 + 4 × .05) = ½ (.51667 + .28333 + .6 + .2) = .8
    assert report.index == pytest.approx(0.2)


def test_coverage_page_marks_gaps_in_words_and_links_applicants(client, planner, panel, covered, settings):
    client.force_login(planner)
    text = client.get(url("panel_coverage", pk=panel.pk)).content.decode()
    assert 'class="state-below">Short by 2</span>' in text
    assert "2 missing" in text and "70+ · Manual worker" in text
    assert "李建国" in text and "张子涵" not in text  # only applicants in a cell short of members
    assert f'href="{covered.get_absolute_url()}"' in text  # to the application, to approve it
    assert "20 out of 100" in text


def test_viewers_see_how_many_applicants_not_who(client, viewer, panel, covered):
    client.force_login(viewer)
    text = client.get(url("panel_coverage", pk=panel.pk)).content.decode()
    assert "1 pending application would fill it." in text and "李建国" not in text


def test_coverage_without_anything_says_so(client, clerk, panel):
    client.force_login(clerk)
    text = client.get(url("panel_coverage", pk=panel.pk)).content.decode()
    assert "No quota and no member yet." in text and "No population figures yet" in text


def add_members(panel, places, occupations, n: int) -> None:
    for i in range(n):
        band = places["bands"][i % 5]
        member(panel, age_band=band, occupation=occupations[i % 3], district=places["districts"][i % 2],
               full_name=f"Member {i}")
        make_officer(panel.team, age_band=band, occupation=occupations[(i + 1) % 3], status=OfficerStatus.PENDING)
        Quota.objects.get_or_create(panel=panel, age_band=band, occupation=occupations[(i + 2) % 3],
                                    defaults={"target": 5})


@pytest.mark.parametrize("page", ["panel_coverage", "panel_detail"])
def test_pages_take_the_same_queries_whatever_the_panel_size(client, planner, panel, places, occupations, population,
                                                             django_assert_num_queries, page):
    client.force_login(planner)
    add_members(panel, places, occupations, 3)
    client.get(url(page, pk=panel.pk))  # warm the session and the language caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(page, pk=panel.pk)).status_code == HTTPStatus.OK
    add_members(panel, places, occupations, 30)
    with django_assert_num_queries(len(small)):
        assert client.get(url(page, pk=panel.pk)).status_code == HTTPStatus.OK


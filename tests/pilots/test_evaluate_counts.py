"""`manage.py evaluate_counts`: the verdict for count files, checked against pilots.stats, every
bad file refused with its name and lines, and no database needed.

These tests have no `db` fixture: pytest-django fails any test that touches the database, so
each of them also shows that the command does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from pilots import stats
from pilots.management.commands.evaluate_counts import share, table

ROOT = Path(__file__).resolve().parents[2]

CURRENT = """district,age_band,eligible,adopters,satisfied,rated
Old Town,60-69,412,97,70,88
Old Town,70+,238,41,30,35
New Harbour,30-44,310,221,160,190
"""
PREVIOUS = """district,age_band,eligible,adopters
Old Town,60-69,380,52
Old Town,70+,200,20
New Harbour,30-44,290,190
"""
READY = """district,age_band,eligible,adopters,satisfied,rated
Old Town,60-69,412,331,301,318
Old Town,70+,238,187,161,176
New Harbour,30-44,310,262,231,249
"""


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    return write


def run(*args: object) -> str:
    out, err = StringIO(), StringIO()
    call_command("evaluate_counts", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue()


def run_json(*args: object) -> dict:
    return json.loads(run(*args, "--json"))


def test_json_numbers_are_the_statistics_engines(write):
    result = run_json(write("current.csv", CURRENT), "--previous", write("previous.csv", PREVIOUS))
    x, n = np.array([97, 41, 221]), np.array([412, 238, 310])

    low, high = stats.wilson_interval(x, n, 0.95)
    assert len(result["segments"]) == 3
    for i, segment in enumerate(result["segments"]):
        assert segment["n"] == n[i]
        assert segment["estimate"] == pytest.approx(x[i] / n[i])
        assert (segment["low"], segment["high"]) == pytest.approx((low[i], high[i]))
    assert [s["state"] for s in result["segments"]] == ["below", "below", "pass"]

    overall_low, overall_high = stats.wilson_interval(x.sum(), n.sum(), 0.95)
    adoption = result["overall"]["adoption"]
    assert adoption["estimate"] == pytest.approx(x.sum() / n.sum()) and adoption["n"] == n.sum()
    assert (adoption["low"], adoption["high"]) == pytest.approx((overall_low, overall_high))
    satisfaction = result["overall"]["satisfaction"]
    assert satisfaction["estimate"] == pytest.approx(260 / 313) and satisfaction["n"] == 313

    statistic, p_value, dof = stats.chi2_homogeneity(x, n)
    assert result["homogeneity"] == pytest.approx({"statistic": statistic, "p_value": p_value, "dof": dof})

    x0, n0 = np.array([52, 20, 190]), np.array([380, 200, 290])
    d_low, d_high = stats.newcombe_interval(x, n, x0, n0, 0.95)
    _z, p_values = stats.two_proportion_test(x, n, x0, n0)
    adjusted = stats.holm(p_values)
    assert len(result["changes"]) == 3  # every segment has people in both cycles
    for i, change in enumerate(result["changes"]):
        assert (change["district"], change["age_band"]) == (result["segments"][i]["district"],
                                                            result["segments"][i]["age_band"])
        assert change["difference"] == pytest.approx(x[i] / n[i] - x0[i] / n0[i])
        assert (change["low"], change["high"]) == pytest.approx((d_low[i], d_high[i]))
        assert (change["p_value"], change["p_adjusted"]) == pytest.approx((p_values[i], adjusted[i]))


def test_verdict_and_reasons_name_the_segments_that_fall_short(write):
    result = run_json(write("current.csv", CURRENT))
    assert result["verdict"] == "KEEP_OPTIMIZING"
    assert any(r.startswith("70+ in Old Town: adoption 17.2%") for r in result["reasons"])
    assert any(r.startswith("60-69 in Old Town: adoption 23.5%") for r in result["reasons"])
    assert result["thresholds"]["adoption_target"] == 0.6  # the verdict's defaults


def test_ready_to_scale_when_every_lower_bound_clears(write):
    assert run_json(write("current.csv", READY))["verdict"] == "READY_TO_SCALE"


@pytest.mark.parametrize("target", ["0.9", "90", "90%", " 90 % "])
def test_thresholds_as_proportions_or_percentages(write, target):
    result = run_json(write("current.csv", READY), "--adoption-target", target, "--equity-floor", "0.5")
    assert result["thresholds"]["adoption_target"] == pytest.approx(0.9)
    assert result["verdict"] == "KEEP_OPTIMIZING"  # 80.5% overall is short of 90%


def test_confidence_and_minimum_change_the_segments(write):
    result = run_json(write("current.csv", READY), "--confidence", "99%", "--min-n", "300")
    low, _high = stats.wilson_interval(331, 412, 0.99)
    assert result["segments"][0]["low"] == pytest.approx(low)
    assert [s["state"] for s in result["segments"]] == ["pass", "insufficient", "pass"]
    assert result["segments"][1]["more_needed"] == 62
    assert result["verdict"] == "NEEDS_MORE_DATA"


def test_population_weights_overall_adoption(write):
    population = "district,age_band,population\nOld Town,60-69,45710\nOld Town,70+,52890\nNew Harbour,30-44,93120\n"
    result = run_json(write("current.csv", CURRENT), "--population", write("population.csv", population))
    weighted = result["overall"]["adoption"]
    assert weighted["weighted"] is True
    pop = np.array([45710, 52890, 93120])
    assert weighted["estimate"] == pytest.approx((pop * np.array([97 / 412, 41 / 238, 221 / 310])).sum() / pop.sum())
    assert result["overall"]["adoption_pooled"]["estimate"] == pytest.approx(359 / 960)


def test_population_margins_are_raked(write):
    margins = (
        "district,age_band,population\nOld Town,,98600\nNew Harbour,,93120\n"
        ",60-69,45710\n,70+,52890\n,30-44,93120\n"
    )
    result = run_json(write("current.csv", CURRENT), "--population", write("population.csv", margins))
    adoption = result["overall"]["adoption"]
    assert adoption["weighted"] is True
    # Districts (New Harbour, Old Town) by age bands (30-44, 60-69, 70+), as the verdict lays them out.
    table = np.array([[310, 0, 0], [0, 412, 238]])
    weights, converged, _ = stats.rake(table, [93120, 98600], [93120, 45710, 52890])
    assert converged
    p, low, high, n_eff = stats.weighted_adoption([[221, 0, 0], [0, 97, 41]], table, weights)
    assert (adoption["estimate"], adoption["low"], adoption["high"]) == pytest.approx((p, low, high))
    assert adoption["n"] == pytest.approx(round(n_eff, 2))
    # These margins fix every cell, so raking gives the post-stratified estimate.
    assert p == pytest.approx((93120 * 221 / 310 + 45710 * 97 / 412 + 52890 * 41 / 238) / 191720)


def test_not_viable(write):
    counts = "district,age_band,eligible,adopters\nSouth Hills,30-44,640,49\nSouth Hills,45-59,587,43\n"
    assert run_json(write("current.csv", counts))["verdict"] == "NOT_VIABLE"


def test_plain_text_is_a_readable_report_with_aligned_columns(write):
    text = run(write("current.csv", CURRENT.replace("New Harbour", "新港区")), "--previous",
               write("previous.csv", PREVIOUS.replace("New Harbour", "新港区")))
    lines = text.splitlines()
    assert lines[0] == "Verdict: KEEP_OPTIMIZING"
    assert (
        "  - 70+ in Old Town: adoption 17.2% (95% interval 13% to 22.5%, 238 respondents) is below the equity "
        "floor of 40%."
    ) in lines
    assert "Overall adoption: 37.4% (95% interval 34.4% to 40.5%), n 960" in lines
    assert "Satisfaction: 83.1% (95% interval 78.5% to 86.8%), ratings 313" in lines
    start = lines.index("Segments:") + 1
    heading, rule, *rows = lines[start:start + 5]
    assert heading.split() == ["district", "age", "band", "n", "adoption", "low", "high", "state", "more", "needed"]
    # Two columns per Chinese character: 新港区 is as wide as "Old To", so 2 + 2 spaces follow.
    assert rows[2].startswith("新港区    30-44 ")
    # Numbers end in the same column as their heading.
    for row in rows[:2]:
        assert row.index("%") + 1 == heading.index("adoption") + len("adoption")
    assert any(line.startswith("Changes from the previous cycle") for line in lines)
    assert "Overall, within segments (Cochran–Mantel–Haenszel): p <0.001" in lines


def test_table_aligns_numbers_right():
    assert table(["name", "n"], [["a", "5"], ["bb", "120"]], right={1}) == [
        "name    n", "----  ---", "a       5", "bb    120"
    ]


# --- Bad files and options ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "current.csv: the file is empty"),
        ("district,age_band,eligible,adopters\n", "current.csv: the file has a header but no data lines"),
        ("district,eligible,adopters\nA,1,1\n", "current.csv: line 1: missing column(s) age_band"),
        ("district,age_band,eligible,adopters,notes\nA,70+,1,1,x\n", "current.csv: line 1: unknown column(s) notes"),
        ("district,age_band,eligible,adopters\nA,70+,many,1\n", "current.csv: line 2: eligible must be a whole number"),
        ("district,age_band,eligible,adopters\nA,70+,10,-1\n", "current.csv: line 2: adopters must not be negative"),
        ("district,age_band,eligible,adopters\nA,70+,120,130\n",
         "current.csv: line 2: adopters (130) exceed eligible (120)"),
        ("district,age_band,eligible,adopters,satisfied,rated\nA,70+,120,100,9,8\n",
         "current.csv: line 2: satisfied (9) is more than rated (8)"),
        ("district,age_band,eligible,adopters,satisfied,rated\nA,70+,120,100,9,\n",
         "current.csv: line 2: satisfied is given without rated"),
        ("district,age_band,eligible,adopters,satisfied\nA,70+,120,100,9\n",
         "current.csv: line 1: the satisfied column needs a rated column too"),
        ("district,age_band,eligible,adopters\nA,70+,10,1\nA,70+,10,1\n",
         "current.csv: line 3: 70+ in A is already given on line 2"),
        ("district,age_band,eligible,adopters\n,70+,10,1\n", "current.csv: line 2: the district is blank"),
        ("district,age_band,eligible,adopters\nA,,10,1\n", "current.csv: line 2: the age band is blank"),
    ],
)
def test_each_bad_file_is_refused_with_its_name_and_line(write, capsys, text, problem):
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("evaluate_counts", str(write("current.csv", text)), stdout=out)
    assert problem in str(caught.value).replace(str(write("current.csv", text).parent) + os.sep, "")
    assert out.getvalue() == ""


def test_every_problem_of_every_file_at_once(write, tmp_path):
    current = write("current.csv", "district,age_band,eligible,adopters\nA,70+,120,130\nB,70+,x,1\n")
    population = write("pop.csv", "district,age_band,population\n,,5\n")
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("evaluate_counts", str(current), "--previous", str(tmp_path / "missing.csv"),
                     "--population", str(population), stdout=out)
    assert str(caught.value).splitlines() == [
        f"{current}: line 2: adopters (130) exceed eligible (120)",
        f"{current}: line 3: eligible must be a whole number, got 'x'",
        f"{tmp_path / 'missing.csv'}: No such file or directory",
        f"{population}: line 2: give a district, an age band or both (a blank one makes the line a total)",
    ]
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--adoption-target", "abc"], "'abc' is not a number"),
        (["--adoption-target", "150"], "'150' is more than 100%"),
        (["--equity-floor", "-5"], "must be a proportion (0 to 1) or a percentage"),
        (["--min-n", "2.5"], "'2.5' is not a whole number"),
        (["--confidence", "1"], "confidence must be at least 0.5 and below 1"),
        (["--viability-floor", "101%"], "'101%' is more than 100%"),
    ],
)
def test_bad_options_are_explained(write, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("evaluate_counts", str(write("current.csv", READY)), *args, stdout=StringIO())


def test_a_floor_above_the_target_is_a_warning_and_the_evaluation_goes_ahead(write):
    out, err = StringIO(), StringIO()
    call_command("evaluate_counts", str(write("current.csv", READY)), "--equity-floor", "70",
                 "--viability-floor", "0.65", "--json", stdout=out, stderr=err)
    given = "; evaluating with these thresholds as given."
    assert err.getvalue().splitlines() == [
        "Warning: the equity floor (70%) is above the adoption target (60%)" + given,
        "Warning: the viability floor (65%) is above the adoption target (60%)" + given,
    ]
    result = json.loads(out.getvalue())  # stdout is the report alone
    assert result["thresholds"] == pytest.approx({
        "adoption_target": 0.6, "equity_floor": 0.7, "satisfaction_target": 0.7, "viability_floor": 0.65,
        "min_n": 30, "confidence": 0.95,
    })
    low, _high = stats.wilson_interval(187, 238, 0.95)  # the weakest segment, judged against 70%
    assert low > 0.7 and result["verdict"] == "READY_TO_SCALE"
    err = StringIO()
    call_command("evaluate_counts", str(write("current.csv", READY)), "--equity-floor", "0.6", stdout=StringIO(),
                 stderr=err)
    assert err.getvalue() == ""  # a floor at the target is no surprise


@pytest.mark.parametrize(("text", "expected"), [("0.6", 0.6), ("60", 0.6), ("60%", 0.6), ("1", 1.0), ("1%", 0.01),
                                                ("0", 0.0), ("100", 1.0)])
def test_share_reads_proportions_and_percentages(text, expected):
    assert share(text) == pytest.approx(expected)


def test_json_has_no_nan(write):
    # One segment: no homogeneity test; nobody eligible: no estimate. Both must still be JSON.
    text = run(write("current.csv", "district,age_band,eligible,adopters\nA,70+,0,0\n"), "--json")
    assert "NaN" not in text
    assert json.loads(text)["segments"][0]["estimate"] is None


@pytest.mark.parametrize(
    ("rows", "x", "n"),
    [
        ("A,70+,40,12\n", [12], [40]),
        ("A,70+,40,12\nB,70+,0,0\n", [12, 0], [40, 0]),  # the second segment has nobody
        ("A,70+,0,0\n", [0], [0]),
    ],
)
def test_homogeneity_is_an_object_with_fewer_than_two_segments_with_people(write, rows, x, n):
    result = run_json(write("current.csv", "district,age_band,eligible,adopters\n" + rows))
    assert result["homogeneity"] == {"statistic": 0.0, "p_value": 1.0, "dof": 0}
    assert tuple(result["homogeneity"].values()) == stats.chi2_homogeneity(x, n)
    # The readable report has no test to show.
    assert "chi-square" not in run(write("current.csv", "district,age_band,eligible,adopters\n" + rows))


def test_runs_without_any_database(write, tmp_path):
    """On a machine with no CityLab database: the DATABASE_URL points into a missing folder,
    so any connection would fail."""
    nowhere = tmp_path / "no-such-folder" / "citylab.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{nowhere}", "DJANGO_SETTINGS_MODULE": "citylab.settings"}
    done = subprocess.run(
        [sys.executable, "manage.py", "evaluate_counts", str(write("current.csv", READY)), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "READY_TO_SCALE"
    assert not nowhere.parent.exists()


def test_help_explains_the_thresholds():
    done = subprocess.run([sys.executable, "manage.py", "evaluate_counts", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "percentages (60 or 60%)" in text and "(default 60%)" in text and "(default 95%)" in text


def test_a_bad_file_exits_nonzero_with_nothing_on_stdout(write):
    done = subprocess.run(
        [sys.executable, "manage.py", "evaluate_counts",
         str(write("current.csv", "district,age_band,eligible,adopters\nA,70+,120,130\n"))],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert "current.csv: line 2: adopters (130) exceed eligible (120)" in done.stderr

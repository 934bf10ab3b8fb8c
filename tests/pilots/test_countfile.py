"""The operators' count files and population files: what is read, and every problem reported
with its line number (no database)."""

from __future__ import annotations

import pytest

from pilots.countfile import (
    CountFileError,
    CountRow,
    parse_counts,
    parse_population,
    to_counts,
    to_population,
)

HEADER = "district,age_band,eligible,adopters"
RATED_HEADER = HEADER + ",satisfied,rated"


def problems(text: str | bytes, **known) -> list[str]:
    with pytest.raises(CountFileError) as caught:
        parse_counts(text.encode() if isinstance(text, str) else text, **known)
    return caught.value.problems


def test_reads_segments_with_line_numbers_and_thousands_separators():
    rows = parse_counts(f'{HEADER}\nOld Town,60-69,"1,204",233\n\nOld Town,70+,118,21\n'.encode())
    assert rows == [
        CountRow(2, "Old Town", "60-69", 1204, 233),
        CountRow(4, "Old Town", "70+", 118, 21),
    ]


def test_reads_ratings_and_allows_a_segment_nobody_rated():
    rows = parse_counts(f"{RATED_HEADER}\nA,60-69,100,40,30,35\nA,70+,50,10,,\n".encode())
    assert (rows[0].satisfied, rows[0].rated) == (30, 35)
    assert (rows[1].satisfied, rows[1].rated) == (None, None)
    counts = to_counts(rows)
    # The unrated segment counts as 0 of 0, not as a reason to drop everyone's ratings.
    assert counts.satisfied.tolist() == [30, 0] and counts.rated.tolist() == [35, 0]


def test_column_order_and_header_case_do_not_matter_and_a_byte_order_mark_is_fine():
    rows = parse_counts("\ufeffAdopters,Eligible,Age_Band,District\n7,20,70+,A\n".encode())
    assert rows == [CountRow(2, "A", "70+", 20, 7)]


def test_gb18030_from_a_chinese_spreadsheet_is_read():
    rows = parse_counts(f"{HEADER}\n老城区,60-69,100,20\n".encode("gb18030"))
    assert rows[0].district == "老城区"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        (f"{HEADER}\n", "the file has a header but no data lines"),
        ("district,age_band,eligible\nA,60+,10\n", "line 1: missing column(s) adopters"),
        (f"{HEADER},colour\nA,60+,10,2,red\n", "line 1: unknown column(s) colour"),
        (f"{HEADER},satisfied\nA,60+,10,2,1\n", "line 1: the satisfied column needs a rated column too"),
        (f"{HEADER},rated\nA,60+,10,2,1\n", "line 1: the rated column needs a satisfied column too"),
        (f"{HEADER}\nA,60+,ten,2\n", "line 2: eligible must be a whole number, got 'ten'"),
        (f"{HEADER}\nA,60+,10,2.5\n", "line 2: adopters must be a whole number, got '2.5'"),
        (f"{HEADER}\nA,60+,10,\n", "line 2: adopters must be a whole number, got ''"),
        (f"{HEADER}\nA,60+,-10,2\n", "line 2: eligible must not be negative, got -10"),
        (f"{HEADER}\nA,60+,120,130\n", "line 2: adopters (130) exceed eligible (120)"),
        (f"{RATED_HEADER}\nA,60+,120,100,50,40\n", "line 2: satisfied (50) is more than rated (40)"),
        (f"{RATED_HEADER}\nA,60+,120,100,50,\n", "line 2: satisfied is given without rated"),
        (f"{RATED_HEADER}\nA,60+,120,100,,50\n", "line 2: rated is given without satisfied"),
        (f"{HEADER}\n,60+,10,2\n", "line 2: the district is blank"),
        (f"{HEADER}\nA, ,10,2\n", "line 2: the age band is blank"),
        (f"{HEADER}\nA,60+,10,2\nB,60+,10,2\na,60+,11,3\n", "line 4: 60+ in a is already given on line 2"),
        (f"{HEADER}\nA,60+,10\n", "line 2: expected 4 values, found 3"),
        (b"\xff\xfe\x00\x81" * 3, "not text in UTF-8 or GB18030"),
    ],
)
def test_each_problem_is_a_sentence_with_its_line(text, expected):
    found = problems(text)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    found = problems(f"{HEADER}\nA,60+,120,130\nB,70+,x,1\nB,70+,5,1\n,18-29,5,1\n")
    assert found == [
        "line 2: adopters (130) exceed eligible (120)",
        "line 3: eligible must be a whole number, got 'x'",
        "line 4: 70+ in B is already given on line 3",
        "line 5: the district is blank",
    ]


def test_a_quoted_cell_over_several_lines_keeps_the_line_numbers_of_the_file():
    # A spreadsheet cell typed with Enter is quoted and runs over two lines (2 and 3) of the file.
    text = f'{HEADER}\n"Old Town\n(laocheng)",60-69,100,20\n\nOld Town,70+,50,60\n"New\nHarbour",70+,x,1\n'
    assert problems(text) == [
        "line 5: adopters (60) exceed eligible (50)",
        "line 6: eligible must be a whole number, got 'x'",
    ]
    rows = parse_counts(f'{HEADER}\n"Old Town\n(laocheng)",60-69,100,20\nOld Town,70+,50,10\n'.encode())
    assert [(r.line, r.district) for r in rows] == [(2, "Old Town\n(laocheng)"), (4, "Old Town")]


DISTRICTS = {"laocheng": 1, "老城区": 1, "Old Town": 1, "yugang": 2}
BANDS = {"60-69": 10, "60–69": 10, "70+": 11}


def test_known_labels_map_to_ids_without_regard_to_case():
    rows = parse_counts(f"{HEADER}\nOLD TOWN,60–69,100,20\n老城区,70+,50,10\n".encode(),
                        known_districts=DISTRICTS, known_age_bands=BANDS)
    assert [(r.district_id, r.age_band_id) for r in rows] == [(1, 10), (1, 11)]


def test_unknown_district_and_band_are_named_with_the_known_ones():
    found = problems(f"{HEADER}\nNew Town,60-69,100,20\nlaocheng,90+,5,1\n",
                     known_districts=DISTRICTS, known_age_bands=BANDS)
    assert found[0].startswith("line 2: unknown district 'New Town' (known: laocheng, 老城区, Old Town, yugang)")
    assert found[1].startswith("line 3: unknown age band '90+' (known: 60-69")


def test_one_segment_under_two_names_is_a_duplicate():
    found = problems(f"{HEADER}\nlaocheng,70+,100,20\nOld Town,70+,100,20\n",
                     known_districts=DISTRICTS, known_age_bands=BANDS)
    assert found == ["line 3: 70+ in Old Town is already given on line 2"]


def test_labels_differing_only_in_case_are_one_label_for_the_verdict():
    current = parse_counts(f"{HEADER}\nOld Town,70+,100,20\nold town,60-69,100,20\n".encode())
    previous = parse_counts(f"{HEADER}\nOLD TOWN,70+,90,10\n".encode())
    assert to_counts(current).district == ("Old Town", "Old Town")
    assert to_counts(previous, like=current).district == ("Old Town",)


# --- Population ----------------------------------------------------------------------------


def test_population_cells_and_margins():
    rows = parse_population(b"district,age_band,population\nA,60+,1200\nA,,5000\n,70+,800\n")
    assert [(r.line, r.district, r.age_band, r.population) for r in rows] == [
        (2, "A", "60+", 1200), (3, "A", "", 5000), (4, "", "70+", 800)
    ]


def test_population_labels_follow_the_count_file_spelling():
    counts = parse_counts(f"{HEADER}\nOld Town,70+,100,20\n".encode())
    population = to_population(parse_population(b"district,age_band,population\nold town,70+,900\n"), counts)
    assert population.district == ("Old Town",) and population.age_band == ("70+",)


def test_population_problems_are_all_reported():
    with pytest.raises(CountFileError) as caught:
        parse_population(b"district,age_band,population\n,,100\nA,,x\nA,60+,5\na,60+,6\nA,,7\n")
    assert caught.value.problems == [
        "line 2: give a district, an age band or both (a blank one makes the line a total)",
        "line 3: population must be a whole number, got 'x'",
        "line 5: 60+ in a is already given on line 4",
        "line 6: the total for A is already given on line 3",
    ]


def test_population_line_numbers_count_the_lines_of_a_quoted_cell():
    text = 'district,age_band,population\n"Old Town\n(laocheng)\n老城区",60+,1200\nA,,x\nA,60+,5\nA,60+,6\n'
    with pytest.raises(CountFileError) as caught:
        parse_population(text.encode())
    assert caught.value.problems == [
        "line 5: population must be a whole number, got 'x'",
        "line 7: 60+ in A is already given on line 6",
    ]

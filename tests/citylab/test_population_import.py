"""Population CSV import: all lines checked, every problem with its line, nothing half-written."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command

from citylab.models import PopulationFigure
from citylab.population import PopulationImportError, import_population_csv

GOOD = "district,age_band,population\nlaocheng,18-29,12000\nlaocheng,70+,\"31,500\"\nxingang,18-29,40100\n"


def figures() -> dict[tuple[str, str], int]:
    return {
        (f.district.code, f.age_band.code): f.population
        for f in PopulationFigure.objects.select_related("district", "age_band")
    }


def test_imports_every_line(places):
    summary = import_population_csv(GOOD.encode())
    assert (summary.created, summary.updated) == (3, 0)
    assert figures() == {("laocheng", "18-29"): 12000, ("laocheng", "70+"): 31500, ("xingang", "18-29"): 40100}


def test_reimport_replaces_figures_and_keeps_others(places):
    import_population_csv(GOOD.encode())
    summary = import_population_csv(b"district,age_band,population\nlaocheng,18-29,12500\n")
    assert (summary.created, summary.updated) == (0, 1)
    assert figures()[("laocheng", "18-29")] == 12500
    assert figures()[("xingang", "18-29")] == 40100


def test_accepts_excel_byte_order_mark_gb18030_blank_lines_and_column_order(places):
    import_population_csv("\ufeffpopulation,district,age_band\n\n100,laocheng,30-44\n".encode())
    import_population_csv("district,age_band,population\nxingang,45-59,200\n".encode("gb18030"))
    assert figures() == {("laocheng", "30-44"): 100, ("xingang", "45-59"): 200}


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("", ["the file is empty: expected a header line district,age_band,population"]),
        ("district,age_band,population\n", ["the file has a header but no data lines"]),
        ("district,band,population\nlaocheng,18-29,1\n",
         ["line 1: missing column(s) age_band; the header must be district,age_band,population",
          "line 1: unknown column(s) band"]),
        ("district,age_band,population\nshanghai,18-29,1\nlaocheng,17-20,2\nlaocheng,30-44,-5\nlaocheng,45-59,many\n",
         ["line 2: unknown district 'shanghai' (known: laocheng, xingang)",
          "line 3: unknown age band '17-20' (known: 18-29, 30-44, 45-59, 60-69, 70+)",
          "line 4: population must not be negative, got -5",
          "line 5: population must be a whole number, got 'many'"]),
        ("district,age_band,population\nlaocheng,18-29,1\nlaocheng,18-29,2\n",
         ["line 3: laocheng 18-29 already given on line 2"]),
        ("district,age_band,population\nlaocheng,18-29\n", ["line 2: expected 3 values, found 2"]),
    ],
)
def test_bad_files_report_every_problem_and_write_nothing(places, text, problems):
    import_population_csv(b"district,age_band,population\nxingang,70+,999\n")
    with pytest.raises(PopulationImportError) as error:
        import_population_csv(text.encode())
    assert error.value.problems == problems
    assert figures() == {("xingang", "70+"): 999}


def test_binary_file_is_refused(places):
    with pytest.raises(PopulationImportError, match="not text in UTF-8 or GB18030"):
        import_population_csv(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\xfa")


def test_command_reports_lines_with_the_file_name(places, tmp_path, capsys):
    bad = tmp_path / "pop.csv"
    bad.write_text("district,age_band,population\nlaocheng,18-29,x\n")
    with pytest.raises(CommandError, match=r"pop.csv: line 2: population must be a whole number, got 'x'"):
        call_command("import_population", str(bad))
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("import_population", str(good))
    assert "3 figures imported (3 new, 0 updated)" in capsys.readouterr().out


def test_command_missing_file(places, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_population", str(tmp_path / "missing.csv"))


class TestAdminUpload:
    url = "/admin/citylab/populationfigure/import/"

    def test_admin_uploads_a_file(self, client, admin_user, places):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(admin_user)
        response = client.post(self.url, {"file": SimpleUploadedFile("p.csv", GOOD.encode(), "text/csv")})
        assert response.status_code == HTTPStatus.FOUND
        assert len(figures()) == 3

    def test_admin_sees_every_problem(self, client, admin_user, places):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(admin_user)
        client.cookies["django_language"] = "en"
        data = b"district,age_band,population\nnowhere,18-29,5\n"
        response = client.post(self.url, {"file": SimpleUploadedFile("p.csv", data, "text/csv")})
        assert response.status_code == HTTPStatus.OK
        assert "Nothing was imported" in response.text and "line 2: unknown district" in response.text
        assert figures() == {}

    @pytest.mark.parametrize("persona", ["planner", "clerk", "viewer", "outsider"])
    def test_team_members_without_admin_rights_are_sent_to_admin_login(self, client, request, persona):
        client.force_login(request.getfixturevalue(persona))
        response = client.get(self.url)
        assert response.status_code == HTTPStatus.FOUND
        assert "/admin/login/" in response["Location"]

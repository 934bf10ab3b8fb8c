"""The survey JSON interchange: reading files (every problem at once, with its path), writing
them, the round trip through the database, and the import_survey / export_survey commands."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from citylab.models import code_validator
from surveys import definition_format
from surveys.definitions import create_survey, survey_to_dict, survey_to_json
from surveys.definition_format import DefinitionError, Text, definition_to_json
from surveys.interchange import parse_definition
from surveys.models import Choice, Kind, Purpose, Question, Status, Survey
from surveys.services import question_specs

# A file with every feature of the format, written the way export writes it (so export of the
# imported survey must give back exactly this text).
FULL = """\
{
  "slug": "bus-app-pilot",
  "title": {
    "zh-hans": "公交到站提醒试点评估",
    "en": "Bus arrival alerts: pilot evaluation"
  },
  "intro": "感谢您参加试点。",
  "purpose": "pilot_evaluation",
  "status": "open",
  "opens_at": "2025-03-01T09:00:00+08:00",
  "closes_at": "2025-04-01T18:30:00+08:00",
  "questions": [
    {
      "key": "age",
      "kind": "age_band",
      "text": {
        "zh-hans": "您的年龄段是？",
        "en": "Your age band?"
      },
      "help": "",
      "required": true,
      "prefer_not_to_say": true,
      "choices": []
    },
    {
      "key": "district",
      "kind": "district",
      "text": "您住在哪个区？",
      "help": {
        "zh-hans": "按户籍或居住地填写均可。",
        "en": "Where you are registered or where you live."
      },
      "required": false,
      "choices": []
    },
    {
      "key": "community",
      "kind": "community",
      "text": "您住在哪个社区？",
      "help": "",
      "required": false,
      "choices": [],
      "show_if": {
        "question": "district",
        "equals": "laocheng"
      }
    },
    {
      "key": "occupation",
      "kind": "occupation",
      "text": "您的职业是？",
      "help": "",
      "required": false,
      "prefer_not_to_say": true,
      "choices": []
    },
    {
      "key": "used",
      "kind": "yes_no",
      "text": "您用过到站提醒吗？",
      "help": "",
      "required": true,
      "choices": [
        {
          "value": "yes",
          "label": "用过"
        },
        {
          "value": "no",
          "label": {
            "zh-hans": "没用过",
            "en": "Never"
          }
        }
      ]
    },
    {
      "key": "how",
      "kind": "single",
      "text": "您通过什么收到提醒？",
      "help": "",
      "required": true,
      "choices": [
        {
          "value": "app",
          "label": {
            "zh-hans": "手机应用",
            "en": "Phone app"
          }
        },
        {
          "value": "sms",
          "label": "短信"
        },
        {
          "value": "stop-screen",
          "label": "站牌屏幕"
        }
      ],
      "show_if": {
        "question": "used",
        "equals": "yes"
      }
    },
    {
      "key": "problems",
      "kind": "multiple",
      "text": "遇到过哪些问题？",
      "help": "",
      "required": false,
      "prefer_not_to_say": true,
      "choices": [
        {
          "value": "late",
          "label": "提醒太晚"
        },
        {
          "value": "small_text",
          "label": "字太小"
        }
      ]
    },
    {
      "key": "ease",
      "kind": "scale",
      "text": "好用吗？",
      "help": "",
      "required": true,
      "choices": [
        {
          "value": "0",
          "label": "很难用"
        },
        {
          "value": "10",
          "label": "很好用"
        }
      ],
      "min": 0,
      "max": 10
    },
    {
      "key": "why_hard",
      "kind": "long_text",
      "text": "为什么难用？",
      "help": "",
      "required": false,
      "choices": [],
      "show_if": {
        "question": "ease",
        "equals": "0"
      }
    },
    {
      "key": "waits",
      "kind": "number",
      "text": "您每周等车几次？",
      "help": "",
      "required": false,
      "choices": [],
      "min": 0,
      "max": 99.5
    },
    {
      "key": "minutes",
      "kind": "number",
      "text": "平均等几分钟？",
      "help": "",
      "required": false,
      "choices": []
    },
    {
      "key": "line",
      "kind": "short_text",
      "text": "您最常坐哪路车？",
      "help": "",
      "required": false,
      "choices": [],
      "show_if": {
        "question": "problems",
        "equals": "late"
      }
    }
  ]
}
"""

MINIMAL = '{"slug": "tiny", "title": "小调查", "purpose": "needs", "questions": [{"key": "q1", "kind": "scale", "text": "满意吗？"}]}'


def problems_of(data: str | bytes) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    return caught.value.problems


def survey_file(*questions: dict, **fields) -> str:
    return json.dumps({"slug": "s", "title": "调查", "purpose": "needs", **fields, "questions": list(questions)})


# --- The format mirrors the models --------------------------------------------------------------


def test_constants_mirror_the_models():
    assert definition_format.KINDS == tuple(Kind.values)
    assert definition_format.PURPOSES == tuple(Purpose.values)
    assert definition_format.STATUSES == tuple(Status.values)
    assert definition_format.KEY_PATTERN.pattern == code_validator.regex.pattern
    limits = {
        (Survey, "slug"): definition_format.SLUG_LIMIT,
        (Survey, "title_zh"): definition_format.TITLE_LIMIT,
        (Survey, "title_en"): definition_format.TITLE_LIMIT,
        (Question, "key"): definition_format.KEY_LIMIT,
        (Question, "text_zh"): definition_format.QUESTION_LIMIT,
        (Question, "text_en"): definition_format.QUESTION_LIMIT,
        (Question, "show_if_equals"): definition_format.VALUE_LIMIT,
        (Choice, "value"): definition_format.VALUE_LIMIT,
        (Choice, "label_zh"): definition_format.LABEL_LIMIT,
        (Choice, "label_en"): definition_format.LABEL_LIMIT,
    }
    for (model, name), limit in limits.items():
        assert model._meta.get_field(name).max_length == limit, name
    number = Question._meta.get_field("min_value")
    assert Decimal(10) ** (number.max_digits - number.decimal_places) == definition_format.NUMBER_LIMIT
    assert number.decimal_places == definition_format.DECIMAL_PLACES


def test_parsing_needs_no_django():
    code = (
        "import sys, surveys.interchange, surveys.definition_format; "
        "print(sorted(m for m in sys.modules if m.startswith('django')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


# --- Reading good files -------------------------------------------------------------------------


def test_minimal_file_takes_the_defaults():
    definition = parse_definition(MINIMAL)
    assert definition.status == "draft" and definition.intro == Text("")
    assert definition.opens_at is None and definition.closes_at is None
    (question,) = definition.questions
    assert question.required is True and question.prefer_not_to_say is False
    assert (question.min_value, question.max_value) == (1, 5)
    assert question.text == Text("满意吗？", "")


def test_full_file_reads_every_feature():
    definition = parse_definition(FULL.encode())
    assert definition.title == Text("公交到站提醒试点评估", "Bus arrival alerts: pilot evaluation")
    assert definition.opens_at.isoformat() == "2025-03-01T09:00:00+08:00"
    by_key = {q.key: q for q in definition.questions}
    assert by_key["ease"].values()[:2] == ("0", "1") and by_key["ease"].max_value == 10
    assert by_key["waits"].max_value == Decimal("99.5")
    assert by_key["how"].show_if == definition_format.ShowIf("used", "yes")
    assert by_key["problems"].values() == ("late", "small_text", "prefer_not_to_say")


def test_byte_order_mark_and_surrounding_spaces_are_accepted():
    data = "\ufeff" + survey_file({"key": "q", "kind": "short_text", "text": "  您好  "}, slug=" s ")
    definition = parse_definition(data.encode())
    assert definition.slug == "s" and definition.questions[0].text.zh == "您好"


def test_written_file_reads_back_as_the_same_definition():
    definition = parse_definition(FULL)
    assert definition_to_json(definition) == FULL
    assert parse_definition(definition_to_json(definition)) == definition


# --- Reading bad files: every problem, each with its path ---------------------------------------

BAD_FILES = {
    "not json": ('{"slug": "s",\n  "title": "t"\n    "purpose": "needs"}', [
        "(file): not valid JSON: Expecting ',' delimiter at line 3 column 5",
    ]),
    "empty": ("  \n", ["(file): the file is empty"]),
    "not utf-8": ('{"slug": "caf\xe9"}'.encode("latin-1"), [
        "(file): not UTF-8 text (byte 0xe9 at position 13); save it as UTF-8",
    ]),
    "a list": ("[]", ['(file): must hold one object {"slug": …, "title": …, "questions": […]}, got a list']),
    "NaN": ('{"slug": "s", "min": NaN}', ["(file): not valid JSON: NaN is not a number JSON allows"]),
    "survey fields": (
        json.dumps({
            "slug": "my survey", "title": {"en": "Only English", "zh": "中文"}, "purpose": "need",
            "status": "published", "opens_at": "2025-03-01T09:00", "closes_at": "next week", "vesion": 2,
            "questions": {},
        }),
        [
            "vesion: unknown field; the fields here are slug, title, intro, purpose, status, opens_at, closes_at, questions",
            "slug: use only letters, digits, '-' and '_' (it goes into web addresses), got 'my survey'",
            "title.zh: unknown field; the fields here are zh-hans, en",
            'title.zh-hans: must not be empty when "en" is given: Chinese is the default language',
            "purpose: must be one of needs, pilot_evaluation, got 'need'",
            "status: must be one of draft, open, closed, got 'published'",
            'opens_at: give the time zone too, e.g. "2025-03-01T09:00:00+08:00"',
            'closes_at: must be an ISO-8601 date and time such as "2025-03-01T09:00:00+08:00", got \'next week\'',
            "questions: must be a list [{…}, …], got an object",
        ],
    ),
    "required survey fields": ("{}", [
        "slug: required",
        "title: required",
        "purpose: required: one of needs, pilot_evaluation",
        "questions: required: a list of questions (it may be empty [])",
    ]),
    "reserved slug, long title, closing before opening": (
        survey_file(slug="import", title="长" * 201, opens_at="2025-03-02T00:00:00+08:00",
                    closes_at="2025-03-01T00:00:00+08:00"),
        [
            "slug: 'import' is the name of a page; choose another slug",
            "title: must be at most 200 characters, got 201",
            "closes_at: must be after opens_at (2025-03-02T00:00:00+08:00), got 2025-03-01T00:00:00+08:00",
        ],
    ),
    "duplicate field": ('{"slug": "a", "slug": "b", "title": "t", "purpose": "needs", "questions": []}', [
        "(file): the field 'slug' appears twice in one object; keep one",
    ]),
    "question basics": (
        survey_file(
            {"key": "Age", "kind": "dropdown", "text": ""},
            {"key": "k" * 41, "kind": "short_text", "text": {"zh-hans": "问", "fr": "Question"}, "required": "yes"},
            "q",
            {"kind": "long_text", "txt": "写吧"},
        ),
        [
            "questions[0].key: use lower-case letters, digits, '-', '_' or '+', starting with a letter or digit; got 'Age'",
            "questions[0].kind: must be one of single, multiple, scale, yes_no, number, short_text, long_text, "
            "age_band, district, community, occupation, got 'dropdown'",
            "questions[0].text: must not be empty",
            "questions[1].key: must be at most 40 characters, got 41",
            "questions[1].text.fr: unknown field; the fields here are zh-hans, en",
            "questions[1].required: must be true or false, got 'yes'",
            'questions[2]: must be an object {"key": …, "kind": …, "text": …}, got \'q\'',
            "questions[3].txt: unknown field; the fields here are key, kind, text, help, required, "
            "prefer_not_to_say, choices, min, max, show_if",
            "questions[3].key: required",
            "questions[3].text: required",
        ],
    ),
    "choices": (
        survey_file(
            {"key": "a", "kind": "single", "text": "问"},
            {"key": "a", "kind": "multiple", "text": "问", "choices": [
                {"value": "v", "label": "V"}, {"value": "v", "label": "W"},
                {"value": "prefer_not_to_say", "label": "不说"}, {"value": 1, "label": ""},
                {"value": "x" * 65, "label": "长" * 301}, "nope",
            ]},
            {"key": "d", "kind": "district", "text": "问", "choices": [{"value": "laocheng", "label": "老城"}]},
            {"key": "n", "kind": "number", "text": "问", "choices": [{"value": "1", "label": "一"}]},
            {"key": "yn", "kind": "yes_no", "text": "问", "choices": [{"value": "yes", "label": "是"}, {"value": "maybe", "label": "也许"}]},
            {"key": "t", "kind": "short_text", "text": "问", "choices": "a, b"},
        ),
        [
            "questions[0].choices: must not be empty: a single question needs at least one choice",
            "questions[1].key: 'a' is already the key of questions[0]",
            "questions[1].choices[1].value: 'v' is already the value of questions[1].choices[0]",
            "questions[1].choices[2].value: 'prefer_not_to_say' is reserved: set \"prefer_not_to_say\": true on the question instead",
            "questions[1].choices[3].value: must be a text in quotes, got 1",
            "questions[1].choices[3].label: must not be empty",
            "questions[1].choices[4].value: must be at most 64 characters, got 65",
            "questions[1].choices[4].label: must be at most 300 characters, got 301",
            'questions[1].choices[5]: must be an object {"value": …, "label": …}, got \'nope\'',
            "questions[2].choices: must be absent or empty: district choices come from the civic core set up in CityLab",
            "questions[3].choices: a number question has no choices; remove them",
            'questions[4].choices: a yes_no question\'s choices are absent, or exactly the values "yes" and "no" '
            "(to set their labels), got yes, maybe",
            'questions[5].choices: must be a list [{"value": …, "label": …}, …], got \'a, b\'',
        ],
    ),
    "ranges": (
        survey_file(
            {"key": "s1", "kind": "scale", "text": "问", "min": 1.5, "max": "5"},
            {"key": "s2", "kind": "scale", "text": "问", "min": 1, "max": 20},
            {"key": "s3", "kind": "scale", "text": "问", "min": 5, "max": 5},
            {"key": "s4", "kind": "scale", "text": "问", "choices": [{"value": "6", "label": "六"}, {"value": "5", "label": "五"}]},
            {"key": "n1", "kind": "number", "text": "问", "min": 10, "max": 1},
            {"key": "n2", "kind": "number", "text": "问", "min": 0.0001, "max": 1_000_000_000_000},
            {"key": "c", "kind": "single", "text": "问", "min": 1, "max": 2, "choices": [{"value": "a", "label": "甲"}]},
        ),
        [
            "questions[0].min: must be a whole number, got 1.5",
            "questions[0].max: must be a number, got '5'",
            "questions[1].max: a scale has at most 11 points (such as 0 to 10), got 1 to 20",
            "questions[2].max: a scale must end above its start: min is 5, max is 5",
            "questions[3].choices[0].value: must be a point of the scale, 1 to 5, got '6'",
            "questions[4].max: must not be below min (10), got 1",
            "questions[5].min: must have at most 3 decimal places, got 0.0001",
            "questions[5].max: must be between -999999999 and 999999999, got 1000000000000",
            "questions[6].min: only scale and number questions have min; remove it",
            "questions[6].max: only scale and number questions have max; remove it",
        ],
    ),
    "prefer not to say": (
        survey_file(
            {"key": "n", "kind": "number", "text": "问", "prefer_not_to_say": True},
            {"key": "t", "kind": "long_text", "text": "问", "prefer_not_to_say": "no"},
        ),
        [
            "questions[0].prefer_not_to_say: only single, multiple, scale, yes_no, age_band, district, community, "
            "occupation questions can offer it; remove it from this number question",
            "questions[1].prefer_not_to_say: must be true or false, got 'no'",
        ],
    ),
    "conditions": (
        survey_file(
            {"key": "early", "kind": "short_text", "text": "问", "show_if": {"question": "late", "equals": "yes"}},
            {"key": "ghost", "kind": "short_text", "text": "问", "show_if": {"question": "nobody", "equals": "x"}},
            {"key": "self", "kind": "yes_no", "text": "问", "show_if": {"question": "self", "equals": "yes"}},
            {"key": "n", "kind": "number", "text": "问"},
            {"key": "on-number", "kind": "short_text", "text": "问", "show_if": {"question": "n", "equals": "3"}},
            {"key": "pick", "kind": "single", "text": "问", "choices": [{"value": "a", "label": "甲"}]},
            {"key": "bad-value", "kind": "short_text", "text": "问", "show_if": {"question": "pick", "equals": "b"}},
            {"key": "no-pnts", "kind": "short_text", "text": "问", "show_if": {"question": "pick", "equals": "prefer_not_to_say"}},
            {"key": "shape", "kind": "short_text", "text": "问", "show_if": ["pick", "a"]},
            {"key": "parts", "kind": "short_text", "text": "问", "show_if": {"question": "pick", "is": "a"}},
            {"key": "late", "kind": "yes_no", "text": "问"},
        ),
        [
            "questions[0].show_if.question: 'late' is questions[10], which comes later: a condition can only "
            "depend on an earlier question",
            "questions[1].show_if.question: no earlier question has the key 'nobody'",
            "questions[2].show_if.question: a question cannot depend on itself",
            "questions[4].show_if.question: 'n' is a number question: a condition can only depend on a question "
            "with set answers (single, multiple, scale, yes_no, age_band, district, community, occupation)",
            "questions[6].show_if.equals: must be one of the values of 'pick': a; got 'b'",
            "questions[7].show_if.equals: must be one of the values of 'pick': a; got 'prefer_not_to_say'",
            'questions[8].show_if: must be an object {"question": …, "equals": …}, got a list',
            "questions[9].show_if.is: unknown field; the fields here are question, equals",
            "questions[9].show_if.equals: required",
        ],
    ),
    "a condition on a flawed question is not judged twice": (
        survey_file(
            {"key": "pick", "kind": "single", "text": "问", "choices": []},
            {"key": "then", "kind": "short_text", "text": "问", "show_if": {"question": "pick", "equals": "a"}},
        ),
        ["questions[0].choices: must not be empty: a single question needs at least one choice"],
    ),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_lists_every_problem_with_its_path(name):
    data, expected = BAD_FILES[name]
    assert problems_of(data) == expected


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_creates_nothing(name, tmp_path, team):
    data, expected = BAD_FILES[name]
    path = tmp_path / "bad.json"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(CommandError) as caught:
        call_command("import_survey", str(path))
    assert str(caught.value).splitlines() == [f"{path}: {problem}" for problem in expected]
    assert not Survey.objects.exists() and not Question.objects.exists()


# --- The database side ----------------------------------------------------------------------------


def test_full_file_round_trips_through_the_database(team, places, occupations):
    survey = create_survey(parse_definition(FULL), team=team)
    assert survey_to_json(survey) == FULL
    ease = survey.questions.get(key="ease")
    assert (ease.position, ease.min_value, ease.max_value) == (8, 0, 10)
    assert list(ease.choices.values_list("value", "position")) == [("0", 1), ("10", 2)]
    assert survey.questions.get(key="how").show_if_question == survey.questions.get(key="used")
    # The imported survey works with the response store as it is.
    specs = {spec.key: spec for spec in question_specs(survey)}
    assert specs["district"].choices == ("laocheng", "xingang")
    assert specs["problems"].allowed() == ("late", "small_text", "prefer_not_to_say")


def test_fixture_survey_round_trips(survey, other_team, django_assert_num_queries):
    with django_assert_num_queries(2):
        exported = survey_to_dict(survey)
    copy = create_survey(parse_definition(json.dumps({**exported, "slug": "door-access-2"})), team=other_team)
    assert survey_to_dict(copy) == {**exported, "slug": "door-access-2"}
    assert copy.team == other_team


def test_export_keeps_the_formats_order_and_minimal_files_minimal(survey, team):
    exported = survey_to_dict(survey)
    assert list(exported) == ["slug", "title", "intro", "purpose", "status", "questions"]
    by_key = {q["key"]: q for q in exported["questions"]}
    assert [q["key"] for q in exported["questions"]] == list(survey.questions.values_list("key", flat=True))
    assert list(by_key["problems"]) == ["key", "kind", "text", "help", "required", "prefer_not_to_say", "choices"]
    assert list(by_key["app_name"]) == ["key", "kind", "text", "help", "required", "choices", "show_if"]
    assert by_key["ease"]["min"] == 1 and by_key["ease"]["max"] == 5
    assert by_key["trips"]["min"] == 0 and by_key["trips"]["max"] == 30
    assert by_key["entry"]["choices"][0] == {"value": "card", "label": {"zh-hans": "门禁卡", "en": "Key card"}}
    tiny = create_survey(parse_definition(MINIMAL), team=team)
    assert survey_to_dict(tiny) == {
        "slug": "tiny", "title": "小调查", "intro": "", "purpose": "needs", "status": "draft",
        "questions": [{"key": "q1", "kind": "scale", "text": "满意吗？", "help": "", "required": True,
                       "choices": [], "min": 1, "max": 5}],
    }


def test_scale_without_bounds_in_the_database_exports_its_defaults(team):
    survey = Survey.objects.create(team=team, slug="old", title_zh="旧", purpose=Purpose.NEEDS)
    Question.objects.create(survey=survey, key="q", kind=Kind.SCALE, text_zh="问", position=1)
    question = survey_to_dict(survey)["questions"][0]
    assert (question["min"], question["max"]) == (1, 5)


def test_taken_slug_creates_nothing(survey, team):
    definition = parse_definition(survey_file({"key": "q", "kind": "short_text", "text": "问"}, slug="door-access"))
    with pytest.raises(DefinitionError) as caught:
        create_survey(definition, team=team)
    assert caught.value.problems == ["slug: a survey with slug 'door-access' already exists"]
    assert Survey.objects.count() == 1 and not Question.objects.filter(key="q").exists()


def test_condition_on_a_segment_needs_a_real_code(team, places):
    definition = parse_definition(survey_file(
        {"key": "district", "kind": "district", "text": "区"},
        {"key": "street", "kind": "short_text", "text": "街道", "show_if": {"question": "district", "equals": "downtown"}},
    ))
    with pytest.raises(DefinitionError) as caught:
        create_survey(definition, team=team)
    assert caught.value.problems == [
        "questions[1].show_if.equals: 'downtown' is not a district code in CityLab (known: laocheng, xingang)"
    ]
    assert not Survey.objects.exists()


# --- Commands -------------------------------------------------------------------------------------


@pytest.fixture
def full_file(tmp_path, places) -> Path:
    path = tmp_path / "bus.json"
    path.write_text(FULL, encoding="utf-8")
    return path


def test_import_goes_to_the_first_team_by_code(full_file, team, other_team):
    out = StringIO()
    call_command("import_survey", str(full_file), stdout=out)
    assert Survey.objects.get(slug="bus-app-pilot").team == team
    assert out.getvalue() == f"{full_file}: created survey 'bus-app-pilot' with 12 questions for team 'digital'\n"


def test_import_for_a_named_team(full_file, team, other_team):
    call_command("import_survey", str(full_file), "--team", "transport", stdout=StringIO())
    assert Survey.objects.get(slug="bus-app-pilot").team == other_team


def test_import_for_an_unknown_team_lists_it_with_the_files_problems(tmp_path, team, other_team):
    path = tmp_path / "s.json"
    path.write_text(survey_file({"key": "q", "kind": "dropdown", "text": "问"}), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_survey", str(path), "--team", "health")
    assert str(caught.value).splitlines() == [
        f"{path}: --team: no team has the code 'health' (known: digital, transport)",
        f"{path}: questions[0].kind: must be one of single, multiple, scale, yes_no, number, short_text, "
        "long_text, age_band, district, community, occupation, got 'dropdown'",
    ]
    assert not Survey.objects.exists()


def test_import_without_any_team(full_file, db):
    with pytest.raises(CommandError) as caught:
        call_command("import_survey", str(full_file))
    assert str(caught.value) == f"{full_file}: --team: there is no team yet; create one in the admin site first"
    assert not Survey.objects.exists()


def test_import_without_a_team_still_reports_a_taken_slug(full_file, survey):
    Survey.objects.filter(pk=survey.pk).update(slug="bus-app-pilot")
    with pytest.raises(CommandError) as caught:
        call_command("import_survey", str(full_file), "--team", "nobody")
    assert str(caught.value).splitlines() == [
        f"{full_file}: --team: no team has the code 'nobody' (known: digital)",
        f"{full_file}: slug: a survey with slug 'bus-app-pilot' already exists",
    ]


def test_import_of_a_missing_file(tmp_path, team):
    path = tmp_path / "nowhere.json"
    with pytest.raises(CommandError) as caught:
        call_command("import_survey", str(path))
    assert str(caught.value) == f"{path}: No such file or directory"


def test_export_prints_readable_json(survey):
    out = StringIO()
    call_command("export_survey", "door-access", stdout=out)
    text = out.getvalue()
    assert "社区新门禁需求调查" in text and '\n  "slug": "door-access",' in text
    assert json.loads(text) == survey_to_dict(survey)


def test_export_to_a_file_then_import_it_again(survey, tmp_path):
    path = tmp_path / "door.json"
    call_command("export_survey", "door-access", "--output", str(path), stdout=StringIO())
    assert path.read_text(encoding="utf-8") == survey_to_json(survey)
    path.write_text(path.read_text(encoding="utf-8").replace('"door-access"', '"door-access-copy"', 1), encoding="utf-8")
    call_command("import_survey", str(path), stdout=StringIO())
    copy = Survey.objects.get(slug="door-access-copy")
    assert survey_to_dict(copy) == {**survey_to_dict(survey), "slug": "door-access-copy"}


def test_export_of_an_unknown_slug(db):
    with pytest.raises(CommandError) as caught:
        call_command("export_survey", "no-such-survey")
    assert str(caught.value) == "no survey has the slug 'no-such-survey'"


@pytest.mark.parametrize("slug", ["import", "new"])
def test_names_of_pages_beside_the_surveys_are_not_slugs(slug):
    assert problems_of(survey_file(slug=slug)) == [f"slug: {slug!r} is the name of a page; choose another slug"]


def test_a_long_wrong_value_is_quoted_short():
    (problem,) = problems_of(survey_file(status="开" * 100))
    assert problem == f"status: must be one of draft, open, closed, got '{'开' * 57}…'"

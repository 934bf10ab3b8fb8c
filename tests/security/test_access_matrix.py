"""The access matrix (#8): every URL pattern of the URLconf × every persona, with the status a
real person should get.

The patterns are enumerated from the resolver, so a new view cannot be missed: a pattern with no
row below fails `test_every_url_pattern_has_a_row`, and a row whose pattern is gone fails it too.
To add a view: give it a row in TABLE (the methods it accepts and one expected outcome per
persona) and its URL arguments in ARGS (objects of the first team, by their names in
tests/security/conftest.py's World).

Each cell makes one request from a fresh copy of the persona's browser: a GET, or for a view that
takes only POST, a POST with an empty body. A view that takes both has a second line of cells,
for a POST with an empty body: a page a viewer may read can still refuse the viewer's post.
What the cells mean:

    200 400 403 404 405 410   that status
    302                       a redirect elsewhere than a sign-in page
    login                     a redirect to the sign-in page, which comes back to this URL after
    admin                     a redirect to the admin site's sign-in page

Only third-party pages are left out, each for the reason in THIRD_PARTY; one of each (the admin
index and allauth's sign-in page) is in the table as a sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.conftest import PERSONAS, World, changed, every_row

# --- The URLconf -----------------------------------------------------------------------------------

PROJECT_MODULES = ("citylab.", "surveys.", "pilots.")

# Left out of the matrix: code the project does not write, reached only through it.
THIRD_PARTY = {
    "admin": "Django's admin site (model lists and forms, its own sign-in): staff only, Django's "
             "tested code; the admin index stands for them, and the project's own admin view is in the table",
    "allauth": "allauth's sign-in, sign-up, password, e-mail and two-factor pages: allauth's tested code, "
               "configured in settings; the sign-in page stands for them",
    "i18n": "Django's set_language: a POST that sets the language cookie and redirects",
}
SAMPLES = {"admin:index", "account_login"}  # third-party pages kept in the table
# Static files are not in the URLconf (runserver and whitenoise serve them), so nothing to leave out.


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name", or the route itself when the pattern has no name
    route: str
    module: str
    namespaces: tuple[str, ...]


def walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()) -> Iterator[Pattern]:
    """Every URLPattern under `resolver`, depth first, with its full route and name."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = ":".join((*namespaces, entry.name)) if entry.name else route
            yield Pattern(name, route, getattr(entry.callback, "__module__", "") or "", namespaces)


def third_party(pattern: Pattern) -> str | None:
    """Why the pattern is left out of the matrix, or None when it is in."""
    if pattern.name in SAMPLES or pattern.module.startswith(PROJECT_MODULES):
        return None
    if pattern.namespaces[:1] == ("admin",):
        return THIRD_PARTY["admin"]
    if pattern.module.startswith("allauth."):
        return THIRD_PARTY["allauth"]
    if pattern.module == "django.views.i18n":
        return THIRD_PARTY["i18n"]
    return None


def matrix_patterns() -> list[Pattern]:
    return [p for p in walk(get_resolver()) if third_party(p) is None]


# --- The expectations ------------------------------------------------------------------------------

# methods: what the view accepts ("ANY" when it does not restrict them). Columns: PERSONAS; for a
# view that takes GET and POST, the first line is a GET, the second an empty POST.
#                                        methods     anonymous resident officer viewer clerk planner other_planner
TABLE: dict[str, tuple[str, ...]] = {
    # The civic core
    "home":                              ("GET",      "200   200   200   200   200   200   200"),
    "text_size":                         ("POST",     "302   302   302   302   302   302   302"),
    "health":                            ("GET",      "200   200   200   200   200   200   200"),
    "staff_home":                        ("GET",      "login login 302   200   200   200   200"),
    "team_detail":                       ("GET",      "login login 404   200   200   200   404"),
    "population":                        ("GET",      "login login 200   200   200   200   200"),
    "admin:index":                       ("ANY",      "admin admin admin admin admin admin admin",
                                                      "admin admin admin admin admin admin admin"),
    "admin:citylab_populationfigure_import": ("ANY",  "admin admin admin admin admin admin admin",
                                                      "admin admin admin admin admin admin admin"),
    "admin:citylab_auditevent_export":   ("ANY",      "admin admin admin admin admin admin admin",
                                                      "admin admin admin admin admin admin admin"),
    "account_login":                     ("ANY",      "200   200   302   302   302   302   302",
                                                      "200   200   302   302   302   302   302"),
    # Residents answering a survey (public; the link is the permission)
    "surveys:start":                     ("GET",      "200   200   200   200   200   200   200"),
    "surveys:question":                  ("GET POST", "200   200   200   200   200   200   200",
                                                      "400   400   400   400   400   400   400"),
    "surveys:check":                     ("GET POST", "302   302   302   302   302   302   302",
                                                      "302   302   302   302   302   302   302"),
    "surveys:done":                      ("GET",      "302   302   302   302   302   302   302"),
    "surveys:invitation":                ("GET",      "302   302   302   302   302   302   302"),
    # The survey builder
    "surveys:list":                      ("GET",      "login login 200   200   200   200   200"),
    "surveys:create":                    ("GET POST", "login login 403   403   403   200   200",
                                                      "login login 403   403   403   200   200"),
    "surveys:builder":                   ("GET",      "login login 404   200   200   200   404"),
    "surveys:edit":                      ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "surveys:preview":                   ("GET",      "login login 404   200   200   200   404"),
    "surveys:publish":                   ("POST",     "login login 404   403   403   302   404"),
    "surveys:close":                     ("POST",     "login login 404   403   403   302   404"),
    "surveys:duplicate":                 ("POST",     "login login 404   403   403   302   404"),
    "surveys:question_new":              ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "surveys:question_edit":             ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "surveys:question_delete":           ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   302   404"),
    "surveys:question_move":             ("POST",     "login login 404   403   403   400   404"),
    "surveys:definition_import":         ("GET POST", "login login 403   403   403   200   200",
                                                      "login login 403   403   403   200   200"),
    "surveys:definition_export":         ("GET",      "login login 404   200   200   200   404"),
    # Results, dashboards, entry, invitations
    "surveys:results":                   ("GET",      "login login 404   200   200   200   404"),
    "surveys:export":                    ("GET",      "login login 404   403   200   200   404"),
    "surveys:prepared_exports":          ("GET",      "login login 404   403   200   200   404"),
    "surveys:export_prepare":            ("POST",     "login login 404   403   302   302   404"),
    "surveys:export_file":               ("GET",      "login login 404   403   200   200   404"),
    "surveys:dashboard":                 ("GET",      "login login 404   200   200   200   404"),
    "surveys:assisted":                  ("GET POST", "login login 404   403   200   200   404",
                                                      "login login 404   403   400   400   404"),
    "surveys:invitations":               ("GET POST", "login login 404   200   200   200   404",
                                                      "login login 404   403   200   200   404"),
    "surveys:invitations_open_poster":   ("GET",      "login login 404   200   200   200   404"),
    "surveys:invitation_links":          ("GET",      "login login 404   403   200   200   404"),
    "surveys:invitation_poster":         ("GET",      "login login 404   403   200   200   404"),
    # Paper: printing, scanning, review
    "surveys:paper_print":               ("GET POST", "login login 404   200   200   200   404",
                                                      "login login 404   403   200   200   404"),
    "surveys:paper_print_pdf":           ("GET",      "login login 404   403   200   200   404"),
    "surveys:scan_list":                 ("GET",      "login login 200   200   200   200   200"),
    "surveys:scan_upload":               ("GET POST", "login login 403   403   200   200   200",
                                                      "login login 403   403   200   200   200"),
    "surveys:scan_batch":                ("GET",      "login login 404   200   200   200   404"),
    "surveys:scan_restart":              ("POST",     "login login 404   403   302   302   404"),
    # A scanned form is one resident's handwriting: for those who enter answers, not viewers.
    "surveys:review_next":               ("GET",      "login login 404   403   302   302   404"),
    "surveys:review_item":               ("GET POST", "login login 404   403   200   200   404",
                                                      "login login 404   403   400   400   404"),
    "surveys:review_crop":               ("GET",      "login login 404   403   200   200   404"),
    "surveys:scan_page_image":           ("GET",      "login login 404   403   200   200   404"),
    # Pilots and their cycles
    "pilots:pilot_list":                 ("GET",      "login login 200   200   200   200   200"),
    "pilots:pilot_create":               ("GET POST", "login login 403   403   403   200   200",
                                                      "login login 403   403   403   200   200"),
    "pilots:pilot_detail":               ("GET",      "login login 404   200   200   200   404"),
    "pilots:pilot_edit":                 ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:cycle_start":                ("POST",     "login login 404   403   403   302   404"),
    "pilots:cycle_detail":               ("GET",      "login login 404   200   200   200   404"),
    "pilots:cycle_edit":                 ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   302   404"),
    "pilots:change_create":              ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:variant_create":             ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:counts_upload":              ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:stage_change":               ("POST",     "login login 404   403   403   302   404"),
    "pilots:decision_create":            ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    # Dashboards and reports
    "pilots:portfolio":                  ("GET",      "login login 200   200   200   200   200"),
    "pilots:pilot_dashboard":            ("GET",      "login login 404   200   200   200   404"),
    "pilots:pilot_report":               ("GET",      "login login 404   200   200   200   404"),
    "pilots:pilot_report_pdf":           ("GET",      "login login 404   200   200   200   404"),
    # Experience officers: the public sign-up, staff pages, an officer's own pages
    "pilots:officer_signup":             ("GET POST", "200   200   200   200   200   200   200",
                                                      "200   200   200   200   200   200   200"),
    "pilots:officer_signup_done":        ("GET",      "200   200   200   200   200   200   200"),
    "pilots:officer_list":               ("GET",      "login login 404   200   200   200   200"),
    "pilots:officer_export":             ("GET",      "login login 404   403   403   200   200"),
    "pilots:officer_register":           ("GET POST", "login login 404   403   200   200   200",
                                                      "login login 404   403   200   200   200"),
    "pilots:officer_detail":             ("GET",      "login login 404   200   200   200   404"),
    "pilots:officer_decide":             ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:officer_withdraw_staff":     ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   302   404"),
    "pilots:officer_home":               ("GET",      "login login 200   200   200   200   200"),
    "pilots:officer_withdraw":           ("GET POST", "login login 200   404   404   404   404",
                                                      "login login 302   404   404   404   404"),
    "pilots:officer_withdrawn":          ("GET",      "200   200   200   200   200   200   200"),
    # Panels and test tasks
    "pilots:panel_list":                 ("GET",      "login login 200   200   200   200   200"),
    "pilots:panel_create":               ("GET POST", "login login 403   403   403   200   200",
                                                      "login login 403   403   403   200   200"),
    "pilots:panel_detail":               ("GET",      "login login 404   200   200   200   404"),
    "pilots:panel_edit":                 ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:panel_members_add":          ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:panel_member_remove":        ("POST",     "login login 404   403   403   302   404"),
    "pilots:panel_quotas":               ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   302   404"),
    "pilots:panel_quotas_derive":        ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:panel_coverage":             ("GET",      "login login 404   200   200   200   404"),
    "pilots:task_create":                ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:task_detail":                ("GET",      "login login 404   200   200   200   404"),
    "pilots:task_assign":                ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    # Feedback: an officer's report, a clerk's for them, triage, the public page
    "pilots:feedback_report":            ("GET POST", "login login 200   404   404   404   404",
                                                      "login login 200   404   404   404   404"),
    "pilots:feedback_report_done":       ("GET",      "login login 200   404   404   404   404"),
    "pilots:feedback_assisted":          ("GET POST", "login login 404   403   200   200   404",
                                                      "login login 404   403   200   200   404"),
    "pilots:feedback_list":              ("GET",      "login login 404   200   200   200   404"),
    "pilots:feedback_detail":            ("GET",      "login login 404   200   200   200   404"),
    "pilots:feedback_triage":            ("POST",     "login login 404   403   403   400   404"),
    "pilots:feedback_change_create":     ("GET POST", "login login 404   403   403   200   404",
                                                      "login login 404   403   403   200   404"),
    "pilots:feedback_photo":             ("GET",      "login login 404   200   200   200   404"),
    "pilots:you_said_we_did":            ("GET",      "200   200   200   200   200   200   200"),
}

# URL arguments: "object.attribute" of the World (the first team's objects), or a literal.
ARGS: dict[str, dict[str, str]] = {
    "team_detail": {"code": "team.code"},
    "surveys:start": {"slug": "survey.slug"},
    "surveys:question": {"slug": "survey.slug", "key": "question.key"},
    "surveys:check": {"slug": "survey.slug"},
    "surveys:done": {"slug": "survey.slug"},
    "surveys:invitation": {"slug": "survey.slug", "token": "invitation.token"},
    **{f"surveys:{name}": {"slug": "survey.slug"} for name in (
        "builder", "edit", "preview", "publish", "close", "duplicate", "question_new", "definition_export",
        "results", "dashboard", "assisted", "invitations", "invitations_open_poster", "paper_print")},
    **{f"surveys:question_{name}": {"slug": "survey.slug", "pk": "question.pk"} for name in ("edit", "delete", "move")},
    "surveys:export": {"slug": "survey.slug", "format": "csv"},
    "surveys:prepared_exports": {"slug": "survey.slug"},
    "surveys:export_prepare": {"slug": "survey.slug"},
    "surveys:export_file": {"slug": "survey.slug", "pk": "response_export.pk"},
    "surveys:invitation_links": {"slug": "survey.slug", "batch_id": "invitation_batch.pk"},
    "surveys:invitation_poster": {"slug": "survey.slug", "batch_id": "invitation_batch.pk"},
    "surveys:paper_print_pdf": {"slug": "survey.slug", "batch_id": "print_batch.pk"},
    **{f"surveys:{name}": {"pk": "scan_batch.pk"} for name in ("scan_batch", "scan_restart", "review_next")},
    "surveys:review_item": {"pk": "review_item.pk"},
    "surveys:review_crop": {"pk": "review_item.pk"},
    "surveys:scan_page_image": {"pk": "scan_page.pk"},
    **{f"pilots:{name}": {"pk": "pilot.pk"} for name in (
        "pilot_detail", "pilot_edit", "cycle_start", "pilot_dashboard", "pilot_report", "pilot_report_pdf",
        "feedback_list", "you_said_we_did")},
    **{f"pilots:{name}": {"pk": "pilot.pk", "number": "cycle.number"} for name in (
        "cycle_detail", "cycle_edit", "change_create", "variant_create", "counts_upload", "stage_change",
        "decision_create")},
    "pilots:officer_signup": {"team_code": "team.code"},
    "pilots:officer_signup_done": {"team_code": "team.code"},
    "pilots:officer_detail": {"pk": "officer.pk"},
    "pilots:officer_decide": {"pk": "applicant.pk"},  # pending: an approved officer is already decided
    "pilots:officer_withdraw_staff": {"pk": "officer.pk"},
    **{f"pilots:{name}": {"pk": "panel.pk"} for name in (
        "panel_detail", "panel_edit", "panel_members_add", "panel_quotas", "panel_quotas_derive", "panel_coverage",
        "task_create")},
    "pilots:panel_member_remove": {"pk": "panel.pk", "officer_pk": "officer.pk"},
    "pilots:task_detail": {"pk": "task.pk"},
    "pilots:task_assign": {"pk": "task.pk"},
    "pilots:feedback_report": {"assignment": "open_assignment.pk"},
    "pilots:feedback_report_done": {"assignment": "reported_assignment.pk"},
    "pilots:feedback_assisted": {"assignment": "open_assignment.pk"},
    **{f"pilots:{name}": {"pk": "feedback.pk"} for name in (
        "feedback_detail", "feedback_triage", "feedback_change_create", "feedback_photo")},
}

# Pages anyone may open, whoever owns what they show: to another team's planner they are what
# they are to every visitor, so their cells there are not 404.
PUBLIC = {
    "surveys:start", "surveys:question", "surveys:check", "surveys:done", "surveys:invitation",
    "pilots:officer_signup", "pilots:officer_signup_done", "pilots:you_said_we_did",
}

# Who owns a view's work, for the method probe and the CSRF test (the planner unless said here).
OWNERS = {
    "home": "anonymous", "text_size": "anonymous", "health": "anonymous", "account_login": "anonymous",
    "admin:index": "admin", "admin:citylab_populationfigure_import": "admin", "admin:citylab_auditevent_export": "admin",
    "surveys:start": "resident", "surveys:question": "resident", "surveys:check": "resident",
    "surveys:done": "resident", "surveys:invitation": "resident",
    "pilots:officer_signup": "anonymous", "pilots:officer_signup_done": "anonymous",
    "pilots:officer_withdrawn": "anonymous", "pilots:you_said_we_did": "anonymous",
    "pilots:officer_home": "officer", "pilots:officer_withdraw": "officer",
    "pilots:feedback_report": "officer", "pilots:feedback_report_done": "officer",
}

# Cells where the code is wrong today and the fix is more than a line: (name, method, persona) -> why.
XFAIL: dict[tuple[str, str, str], str] = {}


@dataclass(frozen=True)
class Row:
    name: str
    methods: frozenset[str]  # {"ANY"} when the view takes every method
    cells: dict[str, dict[str, str]]  # "get" and/or "post" -> persona -> expected outcome

    @property
    def owner(self) -> str:
        return OWNERS.get(self.name, "planner")

    def url(self, world: World) -> str:
        return reverse(self.name, kwargs={key: resolve(world, spec) for key, spec in ARGS.get(self.name, {}).items()})


def resolve(world: World, spec: str) -> object:
    if "." not in spec:
        return spec  # a literal, such as an export's format
    name, attribute = spec.split(".")
    return getattr(getattr(world, name), attribute)


def _row(name: str, methods: str, *lines: str) -> Row:
    accepted = frozenset(methods.split())
    requests = ["post"] if accepted == {"POST"} else ["get"] if accepted == {"GET"} else ["get", "post"]
    assert len(lines) == len(requests), f"{name}: {len(lines)} lines of cells for {requests}"
    cells = {}
    for method, line in zip(requests, lines, strict=True):
        values = line.split()
        assert len(values) == len(PERSONAS), f"{name}: {len(values)} cells for {len(PERSONAS)} personas"
        cells[method] = dict(zip(PERSONAS, values, strict=True))
    return Row(name, accepted, cells)


ROWS = {name: _row(name, *entry) for name, entry in TABLE.items()}


def outcome(response, url: str) -> str:
    """The cell value a response stands for (see the module's docstring)."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return str(response.status_code)
    location = urlsplit(response["Location"])
    following = parse_qs(location.query).get("next", [""])[0]
    for path, value in ((reverse("account_login"), "login"), (reverse("admin:login"), "admin")):
        if location.path == path:
            # Signing in must lead back to the page asked for.
            return value if following == url else f"{value} (next={following!r})"
    return "302"


def describe(response) -> str:
    where = f" to {response['Location']}" if response.has_header("Location") else ""
    return f"{response.status_code}{where}"


def request(world: World, row: Row, persona: str, method: str, **options):
    """One request with an empty body from a fresh copy of the persona's browser: (url, response)."""
    url = row.url(world)
    response = getattr(world.client(persona, **options), method)(url)
    if response.streaming:
        # Read to the end, as a browser does: the test client closes a streamed response (and
        # fires request_finished) only then; closing it here would close the database connection.
        b"".join(response.streaming_content)
    return url, response


# --- The tests -------------------------------------------------------------------------------------


def test_every_url_pattern_has_a_row():
    """A pattern with no row fails here, naming it: decide who may open it, and add the row."""
    names = [p.name for p in matrix_patterns()]
    assert len(names) == len(set(names)), "two patterns share a name: the table could not tell them apart"
    missing = sorted(set(names) - set(TABLE))
    stale = sorted(set(TABLE) - set(names))
    assert not missing, f"URL patterns without a row in the access matrix: {missing}"
    assert not stale, f"rows for URL patterns that are gone: {stale}"
    assert set(ARGS) <= set(TABLE) and PUBLIC <= set(TABLE) and set(OWNERS) <= set(TABLE)


def test_only_third_party_pages_are_left_out():
    left_out = [p for p in walk(get_resolver()) if third_party(p) is not None]
    assert left_out, "the admin and allauth are mounted: some of their pages are left out"
    assert not [p.name for p in left_out if p.module.startswith(PROJECT_MODULES)]


def test_another_teams_planner_finds_none_of_the_first_teams_objects():
    """The rule behind the last column: every page about one of the first team's objects is a
    404 to another team's planner, unless the page is public."""
    wrong = [(name, method) for name, row in ROWS.items() for method, cells in row.cells.items()
             if ARGS.get(name) and name not in PUBLIC and cells["other_planner"] != "404"]
    assert not wrong


def _cells() -> Iterator[object]:
    for name, row in ROWS.items():
        for method in row.cells:
            for persona in PERSONAS:
                key = (name, method, persona)
                marks = [pytest.mark.xfail(strict=True, reason=XFAIL[key])] if key in XFAIL else []
                yield pytest.param(*key, marks=marks, id="-".join(key))


@pytest.mark.parametrize(("name", "method", "persona"), list(_cells()))
def test_cell(world, name, method, persona):
    row = ROWS[name]
    url, response = request(world, row, persona, method)
    expected = row.cells[method][persona]
    assert outcome(response, url) == expected, (
        f"{method.upper()} {url} as {persona}: {describe(response)}, expected {expected}"
    )


@pytest.mark.parametrize("name", list(ROWS))
def test_methods_column_is_what_the_view_accepts(world, name):
    """A PUT is refused with the list of the methods the view takes (require_http_methods);
    a view that takes it lets every method through ("ANY"). The CSRF test relies on this column."""
    row = ROWS[name]
    _url, response = request(world, row, row.owner, "put")
    if response.status_code == 405:
        allowed = {m.strip() for m in response["Allow"].split(",")}
        # A page that answers GET answers HEAD too (monitors and load balancers check with it).
        assert "GET" not in allowed or "HEAD" in allowed, f"{name}: GET without HEAD"
        accepted = allowed - {"HEAD", "OPTIONS"}
    else:
        accepted = {"ANY"}
    assert accepted == set(row.methods)



@pytest.mark.parametrize("name", [name for name, row in ROWS.items() if row.owner == "admin"])
def test_an_administrator_opens_the_admin_pages(world, name):
    """The admin column the table has not: the pages that send everyone else to the admin's
    sign-in open for an administrator (with a second factor, as the role requires)."""
    url, response = request(world, ROWS[name], "admin", "get")
    assert response.status_code == 200, f"GET {url} as admin: {describe(response)}"


# Pages whose URL names a parent and one of its children: another team's planner puts their own
# parent (which they may open) in front of the first team's child. The child must still not be
# found, and nothing may change. Removing a panel member who is not in the panel is a message
# and a redirect, whichever team the officer is in, so it is not a 404 but changes nothing.
THROUGH_OWN_PARENT: dict[str, tuple[dict[str, str], str]] = {
    "surveys:question_edit": ({"slug": "other_survey.slug"}, "404"),
    "surveys:question_delete": ({"slug": "other_survey.slug"}, "404"),
    "surveys:question_move": ({"slug": "other_survey.slug"}, "404"),
    "surveys:invitation_links": ({"slug": "other_survey.slug"}, "404"),
    "surveys:invitation_poster": ({"slug": "other_survey.slug"}, "404"),
    "surveys:paper_print_pdf": ({"slug": "other_survey.slug"}, "404"),
    "surveys:export_file": ({"slug": "other_survey.slug"}, "404"),
    "pilots:panel_member_remove": ({"pk": "other_panel.pk"}, "302"),
}


def _through_own_parent() -> Iterator[object]:
    for name in THROUGH_OWN_PARENT:
        for method in ROWS[name].cells:
            yield pytest.param(name, method, id=f"{name}-{method}")


def test_every_page_with_a_parent_and_a_child_is_tried_through_another_parent():
    """Pages whose URL holds two of the first team's objects: each is in THROUGH_OWN_PARENT, or
    its second argument is a number within the parent (a cycle's), not an object of its own."""
    numbered = {"number"}
    two_objects = {name for name, args in ARGS.items()
                   if name not in PUBLIC and len([k for k in args if k not in numbered and "." in args[k]]) > 1}
    assert two_objects == set(THROUGH_OWN_PARENT)


@pytest.mark.parametrize(("name", "method"), list(_through_own_parent()))
def test_another_teams_planner_cannot_reach_a_child_through_their_own_parent(world, name, method):
    parent, expected = THROUGH_OWN_PARENT[name]
    kwargs = {key: resolve(world, spec) for key, spec in {**ARGS[name], **parent}.items()}
    url = reverse(name, kwargs=kwargs)
    before = every_row()
    response = getattr(world.client("other_planner"), method)(url)
    assert outcome(response, url) == expected, f"{method.upper()} {url} as other_planner: {describe(response)}"
    assert not changed(before, every_row())

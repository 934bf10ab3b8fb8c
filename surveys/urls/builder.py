"""The survey builder under /staff/surveys/: list, create, build, preview, publish."""

from django.urls import URLPattern, path, register_converter

from surveys.views import builder as views


class SurveySlugConverter:
    """A survey's slug, but not the names of the pages beside it (/staff/surveys/new/ and
    /import/), so that those keep working whichever order the URL modules are included in."""

    regex = r"(?!(?:new|import)(?:/|$))[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SurveySlugConverter, "survey_slug")

urlpatterns: list[URLPattern] = [
    path("staff/surveys/", views.survey_list, name="list"),
    path("staff/surveys/new/", views.survey_create, name="create"),
    path("staff/surveys/<survey_slug:slug>/", views.survey_builder, name="builder"),
    path("staff/surveys/<survey_slug:slug>/details/", views.survey_edit, name="edit"),
    path("staff/surveys/<survey_slug:slug>/preview/", views.survey_preview, name="preview"),
    path("staff/surveys/<survey_slug:slug>/publish/", views.survey_publish, name="publish"),
    path("staff/surveys/<survey_slug:slug>/close/", views.survey_close, name="close"),
    path("staff/surveys/<survey_slug:slug>/duplicate/", views.survey_duplicate, name="duplicate"),
    path("staff/surveys/<survey_slug:slug>/questions/new/", views.question_new, name="question_new"),
    path("staff/surveys/<survey_slug:slug>/questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("staff/surveys/<survey_slug:slug>/questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("staff/surveys/<survey_slug:slug>/questions/<int:pk>/move/", views.question_move, name="question_move"),
]

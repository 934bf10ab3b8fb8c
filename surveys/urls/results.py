from django.urls import URLPattern, path, re_path

from surveys.views import results

urlpatterns: list[URLPattern] = [
    path("staff/surveys/<slug:slug>/results/", results.results, name="results"),
    # One name for both formats: reverse("surveys:export", kwargs={"slug": ..., "format": "csv"}).
    re_path(r"^staff/surveys/(?P<slug>[-a-zA-Z0-9_]+)/export\.(?P<format>csv|xlsx)$", results.export, name="export"),
    path("staff/surveys/<slug:slug>/exports/", results.prepared_exports, name="prepared_exports"),
    path("staff/surveys/<slug:slug>/exports/prepare/", results.export_prepare, name="export_prepare"),
    path("staff/surveys/<slug:slug>/exports/<int:pk>/", results.export_file, name="export_file"),
]

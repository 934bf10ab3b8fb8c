from django.urls import URLPattern, path

from surveys.views import interchange

urlpatterns: list[URLPattern] = [
    path("staff/surveys/import/", interchange.definition_import, name="definition_import"),
    path("staff/surveys/<slug:slug>/export.json", interchange.definition_export, name="definition_export"),
]

from django.urls import URLPattern, path

from surveys.views import assisted

urlpatterns: list[URLPattern] = [
    path("staff/surveys/<slug:slug>/assisted/", assisted.assisted_entry, name="assisted"),
]

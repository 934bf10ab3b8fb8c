from django.urls import URLPattern, path

from surveys.views import dashboard

urlpatterns: list[URLPattern] = [
    path("staff/surveys/<slug:slug>/dashboard/", dashboard.dashboard, name="dashboard"),
]

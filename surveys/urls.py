"""Survey URLs: the resident web channel lives under /s/<slug>/, staff pages under /staff/surveys/."""

from django.urls import URLPattern

app_name = "surveys"
urlpatterns: list[URLPattern] = []

"""Pilot URLs: pilots, panels and dashboards, under /staff/pilots/."""

from django.urls import URLPattern

app_name = "pilots"
urlpatterns: list[URLPattern] = []

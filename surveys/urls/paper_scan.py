"""Paper channel routes (paper_scan), under /staff/surveys/ and /staff/paper/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

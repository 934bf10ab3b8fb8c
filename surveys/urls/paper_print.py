"""Paper channel routes (paper_print), under /staff/surveys/ and /staff/paper/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

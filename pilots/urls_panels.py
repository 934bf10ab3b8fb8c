"""Routes for experience officers' panels (#6), joined into the "pilots" namespace by pilots/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

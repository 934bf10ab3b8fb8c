from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import include, path

from citylab.urls import handler500  # noqa: F401 - the same error pages as the project


def floor(request: HttpRequest) -> TemplateResponse:
    """The least a Django page can cost here: one small template, no database."""
    return TemplateResponse(request, "floor.html", {"title": "floor"})


urlpatterns = [path("bench/floor/", floor), path("", include("citylab.urls"))]

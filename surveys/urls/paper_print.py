"""Paper channel routes (paper_print), under /staff/surveys/ and /staff/paper/."""

from django.urls import URLPattern, path

from surveys.views import paper_print

urlpatterns: list[URLPattern] = [
    path("staff/surveys/<slug:slug>/paper/print/", paper_print.print_page, name="paper_print"),
    path("staff/surveys/<slug:slug>/paper/print/<int:batch_id>.pdf", paper_print.batch_pdf, name="paper_print_pdf"),
]

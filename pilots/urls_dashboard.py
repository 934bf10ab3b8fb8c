"""Routes for the planners' dashboards (#7), joined into the "pilots" namespace by pilots/urls.py."""

from django.urls import URLPattern, path

from pilots.views import dashboard

urlpatterns: list[URLPattern] = [
    path("staff/portfolio/", dashboard.portfolio, name="portfolio"),
    path("staff/pilots/<int:pk>/dashboard/", dashboard.pilot_dashboard, name="pilot_dashboard"),
    path("staff/pilots/<int:pk>/report/", dashboard.pilot_report, name="pilot_report"),
    path("staff/pilots/<int:pk>/report.pdf", dashboard.pilot_report_pdf, name="pilot_report_pdf"),
]

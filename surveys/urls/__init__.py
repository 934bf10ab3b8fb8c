"""Survey URLs, one module per area: residents answer under /s/<slug>/, staff work under
/staff/surveys/. Names live in the "surveys" namespace."""

from surveys.urls import assisted, builder, dashboard, interchange, invitations, paper_print, paper_scan, resident, results

app_name = "surveys"
urlpatterns = [
    *resident.urlpatterns,
    *builder.urlpatterns,
    *interchange.urlpatterns,
    *results.urlpatterns,
    *dashboard.urlpatterns,
    *assisted.urlpatterns,
    *invitations.urlpatterns,
    *paper_print.urlpatterns,
    *paper_scan.urlpatterns,
]

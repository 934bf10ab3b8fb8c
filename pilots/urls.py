"""Pilot URLs under /staff/pilots/: a pilot's page shows its latest cycle, and each cycle has
its own page (with the same content) under cycles/<number>/."""

from django.urls import URLPattern, path

from pilots.views import cycles, pilots

app_name = "pilots"
urlpatterns: list[URLPattern] = [
    path("staff/pilots/", pilots.pilot_list, name="pilot_list"),
    path("staff/pilots/new/", pilots.pilot_create, name="pilot_create"),
    path("staff/pilots/<int:pk>/", pilots.pilot_detail, name="pilot_detail"),
    path("staff/pilots/<int:pk>/edit/", pilots.pilot_edit, name="pilot_edit"),
    path("staff/pilots/<int:pk>/cycles/new/", cycles.cycle_start, name="cycle_start"),
    path("staff/pilots/<int:pk>/cycles/<int:number>/", pilots.cycle_detail, name="cycle_detail"),
    path("staff/pilots/<int:pk>/cycles/<int:number>/edit/", cycles.cycle_edit, name="cycle_edit"),
    path("staff/pilots/<int:pk>/cycles/<int:number>/changes/new/", cycles.change_create, name="change_create"),
    path("staff/pilots/<int:pk>/cycles/<int:number>/variants/new/", cycles.variant_create, name="variant_create"),
    path("staff/pilots/<int:pk>/cycles/<int:number>/counts/", cycles.counts_upload, name="counts_upload"),
    path("staff/pilots/<int:pk>/cycles/<int:number>/stage/", cycles.stage_change, name="stage_change"),
    path("staff/pilots/<int:pk>/cycles/<int:number>/decide/", cycles.decision_create, name="decision_create"),
]

# Experience-officer panels (#6): each area lists its routes in its own module.
from pilots import urls_feedback, urls_officers, urls_panels  # noqa: E402

urlpatterns += urls_officers.urlpatterns + urls_panels.urlpatterns + urls_feedback.urlpatterns
from pilots import urls_dashboard  # noqa: E402  (#7)

urlpatterns += urls_dashboard.urlpatterns

"""Routes for experience officers' panels (#6), joined into the "pilots" namespace by pilots/urls.py."""

from django.urls import URLPattern, path

from pilots.views import panels

urlpatterns: list[URLPattern] = [
    path("staff/panels/", panels.panel_list, name="panel_list"),
    path("staff/panels/new/", panels.panel_create, name="panel_create"),
    path("staff/panels/<int:pk>/", panels.panel_detail, name="panel_detail"),
    path("staff/panels/<int:pk>/edit/", panels.panel_edit, name="panel_edit"),
    path("staff/panels/<int:pk>/members/add/", panels.members_add, name="panel_members_add"),
    path("staff/panels/<int:pk>/members/<int:officer_pk>/remove/", panels.member_remove, name="panel_member_remove"),
    path("staff/panels/<int:pk>/quotas/", panels.quotas_edit, name="panel_quotas"),
    path("staff/panels/<int:pk>/quotas/derive/", panels.quotas_derive, name="panel_quotas_derive"),
    path("staff/panels/<int:pk>/coverage/", panels.panel_coverage, name="panel_coverage"),
    path("staff/panels/<int:pk>/tasks/new/", panels.task_create, name="task_create"),
    path("staff/tasks/<int:pk>/", panels.task_detail, name="task_detail"),
    path("staff/tasks/<int:pk>/assign/", panels.task_assign, name="task_assign"),
]

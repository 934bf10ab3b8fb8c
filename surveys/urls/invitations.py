from django.urls import URLPattern, path

from surveys.views import invitations

urlpatterns: list[URLPattern] = [
    path("staff/surveys/<slug:slug>/invitations/", invitations.batch_list, name="invitations"),
    path(
        "staff/surveys/<slug:slug>/invitations/open-poster.pdf", invitations.open_poster,
        name="invitations_open_poster",
    ),
    path(
        "staff/surveys/<slug:slug>/invitations/<int:batch_id>/links.csv", invitations.batch_links,
        name="invitation_links",
    ),
    path(
        "staff/surveys/<slug:slug>/invitations/<int:batch_id>/poster.pdf", invitations.batch_poster,
        name="invitation_poster",
    ),
]

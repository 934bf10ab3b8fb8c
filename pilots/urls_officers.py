"""Routes for experience officers (#6), joined into the "pilots" namespace by pilots/urls.py.

The sign-up is public under /join/<team code>/ (the link a team prints on its posters); staff
pages are under /staff/officers/; an officer's own pages under /officer/.
"""

from django.urls import URLPattern, path

from pilots.views import officers

urlpatterns: list[URLPattern] = [
    path("join/<slug:team_code>/", officers.officer_signup, name="officer_signup"),
    path("join/<slug:team_code>/thank-you/", officers.officer_signup_done, name="officer_signup_done"),
    path("staff/officers/", officers.officer_list, name="officer_list"),
    path("staff/officers/export.csv", officers.officer_export, name="officer_export"),
    path("staff/officers/new/", officers.officer_register_view, name="officer_register"),
    path("staff/officers/<int:pk>/", officers.officer_detail, name="officer_detail"),
    path("staff/officers/<int:pk>/decide/", officers.officer_decide, name="officer_decide"),
    path("staff/officers/<int:pk>/withdraw/", officers.officer_withdraw_staff, name="officer_withdraw_staff"),
    path("officer/", officers.officer_home, name="officer_home"),
    path("officer/withdraw/", officers.officer_withdraw_self, name="officer_withdraw"),
    path("officer/withdrawn/", officers.officer_withdrawn, name="officer_withdrawn"),
]

from django.contrib import admin
from django.urls import include, path

from citylab import views

# A database that does not answer gets a 503 page, not a 500 (citylab/errors.py).
handler500 = "citylab.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("text-size/", views.text_size, name="text_size"),
    path("health/", views.health, name="health"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/teams/<slug:code>/", views.team_detail, name="team_detail"),
    path("staff/population/", views.population, name="population"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("surveys.urls")),
    path("", include("pilots.urls")),
]

# allauth answers its own rate limits (sign-in, password reset) with this handler too.
handler429 = "citylab.ratelimit.too_many_requests"

from django.urls import path

from surveys.views import resident

urlpatterns = [
    path("s/<slug:slug>/", resident.start, name="start"),
    path("s/<slug:slug>/q/<str:key>/", resident.question, name="question"),
    path("s/<slug:slug>/check/", resident.check, name="check"),
    path("s/<slug:slug>/done/", resident.done, name="done"),
    path("s/<slug:slug>/i/<str:token>/", resident.invitation, name="invitation"),
]

"""Routes for experience officers' feedback (#6), joined into the "pilots" namespace by pilots/urls.py.

Officers report under /officer/, staff work under /staff/, and the public reads what changed
under /pilots/.
"""

from django.urls import URLPattern, path

from pilots.views import feedback

urlpatterns: list[URLPattern] = [
    path("officer/tasks/<int:assignment>/report/", feedback.feedback_report, name="feedback_report"),
    path("officer/tasks/<int:assignment>/report/sent/", feedback.feedback_report_done, name="feedback_report_done"),
    path("staff/tasks/<int:assignment>/feedback/", feedback.feedback_assisted, name="feedback_assisted"),
    path("staff/pilots/<int:pk>/feedback/", feedback.feedback_list, name="feedback_list"),
    path("staff/feedback/<int:pk>/", feedback.feedback_detail, name="feedback_detail"),
    path("staff/feedback/<int:pk>/triage/", feedback.feedback_triage, name="feedback_triage"),
    path("staff/feedback/<int:pk>/change/", feedback.feedback_change_create, name="feedback_change_create"),
    path("staff/feedback/<int:pk>/photo/", feedback.feedback_photo, name="feedback_photo"),
    path("pilots/<int:pk>/you-said-we-did/", feedback.you_said_we_did, name="you_said_we_did"),
]

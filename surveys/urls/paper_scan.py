"""Paper channel routes (paper_scan), under /staff/paper/: scan batches and the review queue."""

from django.urls import URLPattern, path

from surveys.views import paper_scan

urlpatterns: list[URLPattern] = [
    path("staff/paper/scans/", paper_scan.scan_list, name="scan_list"),
    path("staff/paper/scans/new/", paper_scan.scan_upload, name="scan_upload"),
    path("staff/paper/scans/<int:pk>/", paper_scan.scan_batch, name="scan_batch"),
    path("staff/paper/scans/<int:pk>/restart/", paper_scan.scan_restart, name="scan_restart"),
    path("staff/paper/scans/<int:pk>/review/", paper_scan.review_next, name="review_next"),
    path("staff/paper/review/<int:pk>/", paper_scan.review_item, name="review_item"),
    path("staff/paper/review/<int:pk>/crop.png", paper_scan.review_crop, name="review_crop"),
    path("staff/paper/pages/<int:pk>/image.png", paper_scan.page_image, name="scan_page_image"),
]

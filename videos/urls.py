"""The videos app's HTTP routes (seed endpoints through `labelplatform.routes.seed_path`, then pages)."""

from labelplatform.routes import seed_path
from videos import views

app_name = "videos"

urlpatterns: list = [
    # seed 000 (videos.md §5)
    *seed_path("api/v1/get_batch", views.GetBatchView, "get-batch"),
    *seed_path("api/v1/send_batch", views.SendBatchView, "send-batch"),
    *seed_path("api/v1/set_label_state", views.SetLabelStateView, "set-label-state"),
    *[
        route
        for name, view in views.LISTING_VIEWS.items()
        for route in seed_path(f"api/v1/{name}", view, name.replace("_", "-"))
    ],
    *seed_path("api/v1/get_all_labels", views.GetAllLabelsView, "get-all-labels"),
    *seed_path("api/v1/get_label_statistics", views.LabelStatisticsView, "get-label-statistics"),
    *seed_path("api/v1/add_tutorial_record", views.AddTutorialRecordView, "add-tutorial-record"),
    # pages (videos-pages appends below)
]

from django.urls import path  # noqa: E402  (pages: videos/pages.py)

from videos import pages  # noqa: E402

urlpatterns += [
    path("videos/label/", pages.label_page, name="label"),
    path("videos/gallery/", pages.gallery_page, name="gallery"),
    path("videos/page-token", pages.PageTokenView.as_view(), name="page-token"),
]

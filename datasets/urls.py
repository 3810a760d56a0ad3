"""The datasets app's HTTP routes (seed endpoints through `labelplatform.routes.seed_path`, then pages)."""

from datasets import views
from labelplatform.routes import seed_path

app_name = "datasets"

WORKFORCE_TASK = "v2/<str:project_id>/datasets/<str:dataset_id>/workforce-tasks/<str:workforce_task_id>/"

urlpatterns: list = [
    # seed 002
    *seed_path("dataset/get", views.DatasetGetView, "qa-dataset-get"),
    *seed_path("dataset/list", views.DatasetListView, "qa-dataset-list"),
    *seed_path("dataset/upload", views.DatasetUploadView, "qa-dataset-upload"),
    *seed_path("dataset/download", views.DatasetDownloadView, "qa-dataset-download"),
    # seed 004
    *seed_path(f"{WORKFORCE_TASK}data-annotations/samples", views.SampleListView, "workforce-samples"),
    *seed_path(f"{WORKFORCE_TASK}data-annotations/samples/<str:sample_id>", views.SampleDetailView, "workforce-sample"),
]

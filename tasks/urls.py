"""The tasks app's HTTP routes (seed endpoints through `labelplatform.routes.seed_path`, then pages)."""

from labelplatform.routes import seed_path
from tasks import views

app_name = "tasks"

WORKFORCE_TASK = "v2/<str:project_id>/datasets/<str:dataset_id>/workforce-tasks/<str:workforce_task_id>/"

urlpatterns: list = [
    # seed 002
    *seed_path("task/list", views.TaskListView, "qa-task-list"),
    *seed_path("task/list-by-dataset", views.TaskListByDatasetView, "qa-task-list-by-dataset"),
    *seed_path("task/assign", views.TaskAssignView, "qa-task-assign"),
    *seed_path("task/reassign", views.TaskReassignView, "qa-task-reassign"),
    *seed_path("task/urgent", views.TaskUrgentView, "qa-task-urgent"),
    *seed_path("data/list", views.DataListView, "qa-data-list"),
    *seed_path("data/label", views.DataLabelView, "qa-data-label"),
    # seed 004: review and acceptance (qa-tasks.md §6)
    *seed_path(f"{WORKFORCE_TASK}data-annotations/review", views.ReviewView, "workforce-review"),
    *seed_path(f"{WORKFORCE_TASK}acceptance", views.AcceptanceView, "workforce-acceptance"),
    *seed_path(f"{WORKFORCE_TASK}acceptance/report", views.AcceptanceReportView, "workforce-acceptance-report"),
    *seed_path(
        f"{WORKFORCE_TASK}acceptance/batch-comment", views.AcceptanceCommentView, "workforce-acceptance-comment"
    ),
    *seed_path(f"{WORKFORCE_TASK}acceptance/status", views.AcceptanceStatusView, "workforce-acceptance-status"),
]
# pages (qa-cockpit) below
from django.urls import path  # noqa: E402 - the pages block is appended after the seed routes

from tasks import pages  # noqa: E402

urlpatterns += [
    path("workspace/", pages.workspace, name="workspace"),
    path("workspace/token/", pages.WorkspaceTokenView.as_view(), name="workspace-token"),
]

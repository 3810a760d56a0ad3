"""The expert workspace page (qa-tasks.md §3.3-3.4 for what it reads and writes).

The page is a static shell: its script lists the expert's tasks with `GET /task/list`, reads a task's
items with `GET /data/list` and saves an item with `PUT /data/label`, exactly as the seed's own
front-end does, authenticated by the session cookie (seed 002 writes need no CSRF token; a same-origin
`Origin` passes the platform's check). So the page and any seed client share one contract and one set
of services. Unsaved edits live in the browser's localStorage until the server accepts them.

Live notices (urges, new tasks) arrive on `/ws/notifications/`, which takes a JWT: `WorkspaceTokenView`
issues a short-lived one to the signed-in expert (session + CSRF token, so another site cannot get one).
The managers' cockpit (the admin's dataset and task pages, `static/tasks/cockpit_live.js`) asks the same
view for its token, to receive `task_progress`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers

from accounts.views.tokens import SessionTokenView

# The live socket (/ws/notifications/) authenticates by JWT; the page asks for a short-lived one, and a
# new one each time it reconnects, so no long-lived token sits in the browser.
SOCKET_TOKEN_LIFETIME = timedelta(minutes=15)


def _texts() -> dict[str, str]:
    """What the script writes into the page, in the reader's language."""
    return {
        "loading": _("Loading…"),
        "noItems": _("This task has no items."),
        "loadFailed": _("Could not load: {error}"),
        "signedOut": _("Your session has ended. Sign in again; your unsaved edits are kept in this browser."),
        "urged": _("Urged"),
        "due": _("Due {time}"),
        "assigned": _("Assigned {time}"),
        "progress": _("{done} of {total} labeled"),
        "item": _("Item {index} of {total}"),
        "labeled": _("Labeled"),
        "unlabeled": _("Not labeled"),
        "returnedNote": _("Sent back by the reviewer: {comment}"),
        "noComment": _("(no comment)"),
        "draftRestored": _("Unsaved edits from this browser were restored."),
        "saving": _("Saving…"),
        "saved": _("Saved"),
        "savedLocal": _("Network problem: kept in this browser, retrying in {seconds} s."),
        "retrying": _("Retrying…"),
        "pending": _("{count} unsaved item(s) waiting to be sent"),
        "saveRefused": _("Not saved: {message}"),
        "closedDataset": _("This dataset is closed; it can no longer be labeled."),
        "notFound": _("This item is no longer in your tasks."),
        "questionRequired": _("The question may not be empty."),
        "answerRequired": _("Every answer needs a text."),
        "answer": _("Answer {rank}"),
        "keep": _("Keep"),
        "moveUp": _("Move up"),
        "moveDown": _("Move down"),
        "remove": _("Remove"),
        "urgedNotice": _("Your manager urged task #{task}: {dataset} · {area}, due {due}."),
        "assignedNotice": _("New task #{task}: {dataset} · {area}, due {due}."),
        "status_未开始": _("Not started"),
        "status_未完成": _("In progress"),
        "status_超时": _("Overdue"),
        "status_已完成": _("Finished"),
    }


def workspace(request):
    """Experts only: anonymous visitors sign in first, every other role gets 403 (managers use the admin)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_expert:
        raise PermissionDenied(_("The workspace is for experts."))
    config = {
        "taskListUrl": "/task/list",
        "dataListUrl": "/data/list",
        "labelUrl": "/data/label",
        "socketPath": "/ws/notifications/",
        "socketTokenUrl": reverse("tasks:workspace-token"),
        "loginUrl": f"{settings.LOGIN_URL}?next={reverse('tasks:workspace')}",
        "username": request.user.get_username(),
        "userId": request.user.pk,
        "text": _texts(),
    }
    return render(request, "tasks/workspace.html", {"workspace_config": config})


class SocketTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="User JWT for /ws/notifications/ (?token=).")
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires.")


class IsExpertOrManager(permissions.BasePermission):
    """The users of a page that listens on /ws/notifications/: experts (workspace) and managers (cockpit);
    `is_manager` covers superusers and, like `is_expert`, refuses inactive and blacklisted accounts."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_expert or user.is_manager))


@extend_schema_view(
    post=extend_schema(
        tags=["tasks"],
        summary="Expert workspace and managers' cockpit: a short-lived token for /ws/notifications/",
        description=(
            "For the signed-in expert (workspace: task_assigned, task_urged) or manager (admin cockpit: "
            "task_progress). Session authentication and Django's CSRF token are required."
        ),
        request=None,
        responses={
            200: SocketTokenSerializer,
            403: OpenApiResponse(description="Not signed in as an expert or a manager, or no CSRF token"),
        },
    )
)
class WorkspaceTokenView(SessionTokenView):
    """A short-lived user token for the live socket of the expert workspace and of the managers' cockpit
    (session + CSRF token required)."""

    permission_classes = [IsExpertOrManager]

    def get_lifetime(self):
        return SOCKET_TOKEN_LIFETIME

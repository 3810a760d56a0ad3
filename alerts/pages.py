"""The alert monitor page (alerts.md §6.1 for its live feed, §5.7-5.12 for what it reads).

The page is a static shell; its script reads seed 001's watcher endpoints and the `/ws/alert/` socket
exactly as any front-end would. It authenticates them with a short-lived user JWT that
`monitor_token` issues to the signed-in session user (docs/accounts.md: any access token of an active user
is a user token), so the page needs no password and no long-lived token sits in the browser. The token
endpoint is a POST protected by the session's CSRF token, so another site cannot obtain one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers

from accounts.views.tokens import SessionTokenView
from alerts.models import Behavior
from alerts.selectors import can_watch_alerts


def _texts() -> dict[str, str]:
    """What the script writes into the page, in the reader's language."""
    return {
        "live": _("Live"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Reconnecting…"),
        "offline": _("Offline"),
        "sessionEnded": _("Your session has ended. Sign in again to keep watching."),
        "notAllowed": _("You may not watch alerts."),
        "open": _("Open"),
        "closed": _("Closed"),
        "frames": _("Frames"),
        "truck": _("Truck"),
        "behavior": _("Behavior"),
        "started": _("Started"),
        "ended": _("Ended"),
        "state": _("State"),
        "noAlerts": _("No alerts match these filters."),
        "noFrames": _("This alert has no frames yet."),
        "noTrucks": _("No trucks yet."),
        "noFrameYet": _("No frame for this truck yet."),
        "pageOf": _("Page {page} of {pages}"),
        "alertsTotal": _("{count} alerts"),
        "newAlerts": _("{count} new alerts: show the newest"),
        "lastAlert": _("Last alert"),
        "lastStatus": _("Last status"),
        "hideLastStatus": _("Hide last status"),
        "safeFrame": _("safe frame"),
        "alertFrame": _("frame of alert #{id}"),
        "frameCaption": _("Frame {index} · {time}"),
        "loadFailed": _("Could not load: {error}"),
        "alertTitle": _("Alert #{id}"),
        "since": _("since {time}"),
        "until": _("until {time}"),
    }


def monitor(request):
    """Watchers only (alerts.md §1): others who are signed in get 403, anonymous visitors sign in first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_watch_alerts(request.user):
        raise PermissionDenied(_("You may not watch alerts."))
    config = {
        "tokenUrl": reverse("alerts:monitor-token"),
        "alertsUrl": "/api/v1/alert/",
        "framesUrl": "/api/v1/log/",
        "trucksUrl": "/api/v1/truck/list/",
        "lastStatusUrl": "/api/v1/truck/laststatus/",
        "socketPath": "/ws/alert/",
        "loginUrl": f"{settings.LOGIN_URL}?next={reverse('alerts:monitor')}",
        "username": request.user.get_username(),
        "pageSize": 20,
        "behaviors": list(Behavior.values),
        "text": _texts(),
    }
    return render(request, "alerts/monitor.html", {"monitor_config": config, "behaviors": Behavior.choices})


class MonitorTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="User JWT for seed 001's watcher endpoints and /ws/alert/.")
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires.")


class IsAlertWatcher(permissions.BasePermission):
    message = "Current user don't has permission"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and can_watch_alerts(request.user))


@extend_schema_view(
    post=extend_schema(
        tags=["alerts"],
        summary="Monitor page: a short-lived watcher token for the signed-in session user",
        request=None,
        responses={
            200: MonitorTokenSerializer,
            403: OpenApiResponse(description="Not signed in, not an alert watcher, or no CSRF token"),
        },
    )
)
class MonitorTokenView(SessionTokenView):
    """A short-lived user token for the monitor page's script (session + CSRF token required)."""

    permission_classes = [IsAlertWatcher]

    def get_lifetime(self):
        return settings.ALERTS_MONITOR_TOKEN_LIFETIME

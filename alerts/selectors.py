"""Reads of the alerts app (alerts.md §5.7-5.12), shared by REST, websockets, pages and the admin.

Watchers see every truck: the seed has no per-truck scoping, and `alerts.view_alert` is the one
permission that opens the data. `can_watch_alerts` is that rule, used by every entry point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, QuerySet, Subquery

from alerts.models import Alert, Device, Frame, SafeFrame, Truck

ALERT_SORT_FIELDS = ("id", "truck_id", "alert_init", "alert_end", "behavior", "started")
FRAMES_PER_PAGE = 5


def can_watch_alerts(user) -> bool:
    """Active, not blacklisted, and a superuser, a manager or holder of `alerts.view_alert`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.may_act:
        return False
    return bool(user.is_superuser or user.is_manager or user.has_perm("alerts.view_alert"))


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.per_page else 0


def page_of(queryset: QuerySet, *, page: int, per_page: int) -> Page:
    """One page (1-based) of an ordered queryset; a page past the end is empty."""
    total = queryset.count()
    start = (page - 1) * per_page
    items = list(queryset[start : start + per_page]) if start < total else []
    return Page(items=items, total=total, per_page=per_page)


@dataclass(frozen=True)
class AlertFilters:
    """The seed's alert list filters, already parsed (alerts.md §5.7)."""

    id: int | None = None
    truck_id: int | None = None
    truck_name: str | None = None
    behavior: str | None = None
    alert_init: datetime | None = None
    alert_init_start: datetime | None = None
    alert_init_end: datetime | None = None
    alert_end_start: datetime | None = None
    alert_end_end: datetime | None = None
    started: bool | None = None
    sort_name: str = "alert_init"
    sort_order: str = "desc"


def alerts_for_watchers(filters: AlertFilters | None = None) -> QuerySet[Alert]:
    """Alerts matching `filters`, ordered by the sort field then `id` in the same direction."""
    filters = filters or AlertFilters()
    queryset = Alert.objects.select_related("truck")
    if filters.id is not None:
        return queryset.filter(pk=filters.id).order_by("id")
    if filters.truck_id is not None:
        queryset = queryset.filter(truck_id=filters.truck_id)
    elif filters.truck_name is not None:
        queryset = queryset.filter(truck__name=filters.truck_name)
    if filters.behavior is not None:
        queryset = queryset.filter(behavior=filters.behavior)
    if filters.alert_init is not None:
        queryset = queryset.filter(alert_init__gte=filters.alert_init)
    elif filters.alert_init_start is not None and filters.alert_init_end is not None:
        queryset = queryset.filter(alert_init__gte=filters.alert_init_start, alert_init__lte=filters.alert_init_end)
    if filters.alert_end_start is not None and filters.alert_end_end is not None:
        queryset = queryset.filter(alert_end__gte=filters.alert_end_start, alert_end__lte=filters.alert_end_end)
    if filters.started is not None:
        queryset = queryset.filter(started=filters.started)
    sort = filters.sort_name if filters.sort_name in ALERT_SORT_FIELDS else "alert_init"
    prefix = "" if filters.sort_order == "asc" else "-"
    return queryset.order_by(f"{prefix}{sort}", f"{prefix}id")


def alert_by_id(alert_id: int) -> Alert | None:
    return Alert.objects.select_related("truck").filter(pk=alert_id).first()


def truck_by_id(truck_id: int) -> Truck | None:
    return Truck.objects.filter(pk=truck_id).first()


def frames_of_alert(
    *, alert_id: int, frame_timestamp: datetime | None = None, frame_index: int | None = None
) -> QuerySet[Frame]:
    """The alert's frames, newest first (`frame_timestamp` desc, then `id` desc)."""
    queryset = Frame.objects.filter(alert_id=alert_id)
    if frame_timestamp is not None:
        queryset = queryset.filter(frame_timestamp__gte=frame_timestamp)
    if frame_index is not None:
        queryset = queryset.filter(frame_index__gte=frame_index)
    return queryset.order_by("-frame_timestamp", "-id")


def truck_last_frame(*, truck_id: int) -> Frame | SafeFrame | None:
    """The truck's latest safe frame S or latest alert frame F: S when F is absent or S is not older."""
    safe = SafeFrame.objects.filter(truck_id=truck_id).order_by("-frame_timestamp", "-id").first()
    frame = (
        Frame.objects.filter(alert__truck_id=truck_id)
        .select_related("alert")
        .order_by("-frame_timestamp", "-id")
        .first()
    )
    if safe is not None and (frame is None or safe.frame_timestamp >= frame.frame_timestamp):
        return safe
    return frame


def trucks_for_watchers(
    *, name: str | None = None, status: str | None = None, with_alert_counts: bool = False
) -> QuerySet[Truck]:
    """Trucks, newest first; `with_alert_counts` annotates `alerts_total`."""
    queryset = Truck.objects.all()
    if name is not None:
        queryset = queryset.filter(name=name)
    if status is not None:
        queryset = queryset.filter(status=status)
    if with_alert_counts:
        queryset = queryset.annotate(alerts_total=Count("alerts"))
    return queryset.order_by("-id")


def last_alerts_of(truck_ids: list[int]) -> dict[int, Alert]:
    """Each truck's latest alert by `alert_init` (then id), for the truck list: two queries."""
    latest = Alert.objects.filter(truck_id=OuterRef("pk")).order_by("-alert_init", "-id").values("id")[:1]
    ids = Truck.objects.filter(pk__in=truck_ids).annotate(last_id=Subquery(latest)).values_list("last_id", flat=True)
    alerts = Alert.objects.filter(pk__in=[pk for pk in ids if pk is not None]).select_related("truck")
    return {alert.truck_id: alert for alert in alerts}


def device_by_mac(mac: str) -> Device | None:
    return Device.objects.select_related("truck").filter(mac=mac).first()

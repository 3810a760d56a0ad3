"""Trucks, devices, alerts and frames in the admin (alerts.md §7). Every change goes through
`alerts.services`, so the admin disables a device or closes an alert exactly as the API would (tokens
stop working, watchers get the `closed` push)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from alerts import services
from alerts.models import Alert, Device, Frame, SafeFrame, Truck
from labelplatform.errors import DomainError

THUMBNAIL = '<img src="{}" alt="{}" loading="lazy" style="max-height:{}px;max-width:{}px;border-radius:3px">'


def thumbnail(image_field, *, height: int = 72, alt: str = "") -> str:
    """An <img> on the file's storage URL (media folder or S3), never the bytes."""
    if not image_field:
        return "—"
    return format_html(THUMBNAIL, image_field.url, alt, height, height * 2)


# --- devices -------------------------------------------------------------------------------------------


class DevicePasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput, strip=False, max_length=services.PASSWORD_MAX_LENGTH
    )
    password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput, strip=False, max_length=services.PASSWORD_MAX_LENGTH
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


def _each(modeladmin, request, queryset, service, done_message) -> None:
    """`done_message`: an `ngettext_lazy(..., "count")`, so `%` picks the plural form for the count."""
    count = 0
    for device in queryset:
        service(device=device)
        count += 1
    modeladmin.message_user(request, done_message % {"count": count}, messages.SUCCESS)


@admin.action(description=_("Disable (refuse their tokens at once)"))
def disable_devices(modeladmin, request, queryset: QuerySet[Device]):
    _each(
        modeladmin,
        request,
        queryset,
        services.disable_device,
        ngettext_lazy("%(count)d device disabled.", "%(count)d devices disabled.", "count"),
    )


@admin.action(description=_("Enable"))
def enable_devices(modeladmin, request, queryset: QuerySet[Device]):
    _each(
        modeladmin,
        request,
        queryset,
        services.enable_device,
        ngettext_lazy("%(count)d device enabled.", "%(count)d devices enabled.", "count"),
    )


@admin.action(description=_("Revoke tokens (the device must register again)"))
def revoke_device_tokens(modeladmin, request, queryset: QuerySet[Device]):
    _each(
        modeladmin,
        request,
        queryset,
        services.revoke_device_tokens,
        ngettext_lazy("Tokens of %(count)d device revoked.", "Tokens of %(count)d devices revoked.", "count"),
    )


@admin.action(description=_("Reset password…"))
def reset_device_password(modeladmin, request, queryset: QuerySet[Device]):
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Select exactly one device to reset its password."), messages.WARNING)
        return None
    return HttpResponseRedirect(reverse("admin:alerts_device_password", args=[queryset.get().pk]))


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("mac", "truck_link", "last_ip", "last_seen_at", "registered_at", "is_active")
    list_filter = ("is_active",)
    search_fields = ("mac", "truck__name", "last_ip")
    list_select_related = ("truck",)
    date_hierarchy = "registered_at"
    fields = ("mac", "truck_link", "is_active", "token_version", "last_ip", "registered_at", "last_seen_at")
    readonly_fields = fields
    actions = [disable_devices, enable_devices, revoke_device_tokens, reset_device_password]

    @admin.display(description=_("Truck"), ordering="truck__name")
    def truck_link(self, device: Device):
        truck = getattr(device, "truck", None)
        if truck is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:alerts_truck_change", args=[truck.pk]), truck.name)

    def has_add_permission(self, request):
        return False  # devices register themselves (or `manage.py register_device`)

    def has_delete_permission(self, request, obj=None):
        return False  # a device's truck keeps its alerts; disable it instead

    def get_urls(self):
        return [
            path(
                "<int:device_id>/password/",
                self.admin_site.admin_view(self.password_view),
                name="alerts_device_password",
            ),
            *super().get_urls(),
        ]

    def password_view(self, request, device_id: int):
        device = get_object_or_404(Device, pk=device_id)
        if not self.has_change_permission(request, device):
            return HttpResponseRedirect(reverse("admin:index"))
        form = DevicePasswordForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.set_device_password(device=device, password=form.cleaned_data["password1"])
            except DomainError as exc:
                form.add_error("password1", str(exc))
            else:
                self.message_user(
                    request,
                    _("Password of %(mac)s changed; its old tokens no longer work.") % {"mac": device.mac},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:alerts_device_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reset the password of %(mac)s") % {"mac": device.mac},
            "device": device,
            "form": form,
        }
        return TemplateResponse(request, "alerts/admin/device_password.html", context)


# --- trucks --------------------------------------------------------------------------------------------


@admin.register(Truck)
class TruckAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "device", "alerts_total", "open_alerts", "last_alert_at", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "device__mac")
    list_select_related = ("device",)
    fields = ("name", "status", "device", "alerts_total", "open_alerts", "last_alert_at", "created_at")
    readonly_fields = ("device", "alerts_total", "open_alerts", "last_alert_at", "created_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _alerts_total=Count("alerts"),
                _open_alerts=Count("alerts", filter=Q(alerts__started=True)),
                _last_alert_at=Max("alerts__alert_init"),
            )
        )

    @admin.display(description=_("Alerts"), ordering="_alerts_total")
    def alerts_total(self, truck):
        return truck._alerts_total

    @admin.display(description=_("Open"), ordering="_open_alerts")
    def open_alerts(self, truck):
        url = reverse("admin:alerts_alert_changelist") + f"?truck__id__exact={truck.pk}&started__exact=1"
        return format_html('<a href="{}">{}</a>', url, truck._open_alerts)

    @admin.display(description=_("Last alert"), ordering="_last_alert_at")
    def last_alert_at(self, truck):
        return truck._last_alert_at

    def has_add_permission(self, request):
        return False  # a truck comes with its device's registration

    def has_delete_permission(self, request, obj=None):
        return False


# --- alerts and frames ---------------------------------------------------------------------------------


class FrameInline(admin.TabularInline):
    model = Frame
    fields = ("preview", "frame_index", "frame_timestamp", "image_format", "size_bytes")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("frame_index",)

    @admin.display(description=_("Image"))
    def preview(self, frame: Frame):
        return thumbnail(frame.image, alt=gettext("frame %(index)s") % {"index": frame.frame_index})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description=_("Close selected open alerts now"), permissions=["close"])
def close_alerts_now(modeladmin, request, queryset: QuerySet[Alert]):
    closed = 0
    for alert in queryset.filter(started=True):
        try:
            services.close_alert(alert=alert, alert_end=max(timezone.now(), alert.alert_init))
        except DomainError:
            continue  # closed meanwhile by its device
        closed += 1
    modeladmin.message_user(
        request, ngettext("%(count)d alert closed.", "%(count)d alerts closed.", closed) % {"count": closed}
    )


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("id", "truck", "behavior", "alert_init", "alert_end", "is_open", "frames_total")
    list_filter = ("behavior", "started", "truck", "alert_init")
    search_fields = ("truck__name", "=id")
    date_hierarchy = "alert_init"
    list_select_related = ("truck",)
    fields = ("truck", "behavior", "alert_init", "alert_end", "started", "created_at", "closed_at")
    readonly_fields = fields
    inlines = [FrameInline]
    actions = [close_alerts_now]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_frames=Count("frames"))

    @admin.display(description=_("Open"), boolean=True, ordering="started")
    def is_open(self, alert: Alert) -> bool:
        return alert.started

    @admin.display(description=_("Frames"), ordering="_frames")
    def frames_total(self, alert: Alert):
        return alert._frames

    def has_add_permission(self, request):
        return False  # devices open alerts

    def has_change_permission(self, request, obj=None):
        return False  # read-only; the close action is the one change

    def has_close_permission(self, request) -> bool:
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


class ImageRowAdmin(admin.ModelAdmin):
    """Read-only lists of stored images with a preview; deleting a row deletes its file."""

    readonly_fields = ("preview",)

    @admin.display(description=_("Image"))
    def thumbnail(self, row):
        return thumbnail(row.image, height=48)

    @admin.display(description=_("Image"))
    def preview(self, row):
        return thumbnail(row.image, height=360)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Frame)
class FrameAdmin(ImageRowAdmin):
    list_display = ("id", "thumbnail", "alert", "frame_index", "frame_timestamp", "image_format", "size_bytes")
    list_filter = ("image_format", "frame_timestamp")
    list_select_related = ("alert__truck",)
    search_fields = ("=alert__id", "alert__truck__name")
    date_hierarchy = "frame_timestamp"
    fields = ("preview", "alert", "frame_index", "frame_timestamp", "image", "image_format", "size_bytes", "created_at")


@admin.register(SafeFrame)
class SafeFrameAdmin(ImageRowAdmin):
    list_display = ("id", "thumbnail", "truck", "frame_index", "frame_timestamp", "image_format", "size_bytes")
    list_filter = ("image_format", "truck", "frame_timestamp")
    list_select_related = ("truck",)
    search_fields = ("truck__name",)
    date_hierarchy = "frame_timestamp"
    fields = ("preview", "truck", "frame_index", "frame_timestamp", "image", "image_format", "size_bytes", "created_at")

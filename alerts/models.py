"""Devices, trucks, alerts, frames and safe frames (alerts.md §2).

Images live in the configured storage (`default_storage`: the media folder or S3), never in the
database; a row only holds the file's name. The natural keys below are unique constraints, so a device
that retries (same alert open, same frame) can never create a duplicate.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Behavior(models.TextChoices):
    """The seed's behaviors, exactly as devices send them (case-sensitive)."""

    SAFE = "Safe", "Safe"
    UNSAFE = "Unsafe", "Unsafe"
    EATING_DRINKING = "Eating/Drinking", "Eating/Drinking"
    SINGLE_HAND = "Single Hand", "Single Hand"
    TAMPER = "Tamper", "Tamper"


class TruckStatus(models.TextChoices):
    ACTIVE = "Active", "Active"
    INACTIVE = "Inactive", "Inactive"


class ImageFormat(models.TextChoices):
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


class Device(models.Model):
    """A truck computer (Jetson). Not a user: it signs in with its MAC and password and gets a device JWT
    that stays valid while `is_active` and while its `token_version` claim equals this row's."""

    mac = models.CharField(max_length=17, unique=True, help_text="Lower case, ':' separated.")
    password = models.CharField(max_length=128, help_text="Django password hash.")
    is_active = models.BooleanField(default=True, help_text="Disabled devices' tokens are refused.")
    token_version = models.PositiveIntegerField(default=0, help_text="Bumped to invalidate issued tokens.")
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.mac


class Truck(models.Model):
    """A truck, named by its device at registration; one device per truck."""

    name = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=20, choices=TruckStatus.choices, default=TruckStatus.ACTIVE)
    device = models.OneToOneField(Device, on_delete=models.PROTECT, related_name="truck")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """An unsafe behavior seen by a truck's device, open (`started`) until the device closes it."""

    truck = models.ForeignKey(Truck, on_delete=models.CASCADE, related_name="alerts")
    behavior = models.CharField(max_length=32, choices=Behavior.choices)
    alert_init = models.DateTimeField(help_text="When the device started the alert.")
    alert_end = models.DateTimeField(null=True, blank=True, help_text="When the device closed it.")
    started = models.BooleanField(default=True, help_text="True while the alert is open (the seed's name).")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-alert_init", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["truck", "alert_init", "behavior"], name="alert_natural_key"),
            models.CheckConstraint(
                condition=Q(alert_end__isnull=True) | Q(alert_end__gte=F("alert_init")),
                name="alert_end_not_before_init",
            ),
            models.CheckConstraint(
                condition=Q(started=True, alert_end__isnull=True) | Q(started=False, alert_end__isnull=False),
                name="alert_open_iff_no_end",
            ),
        ]
        indexes = [
            models.Index(fields=["alert_init", "id"], name="alert_init_id"),
            models.Index(fields=["truck", "alert_init"], name="alert_truck_init"),
        ]

    def __str__(self) -> str:
        return f"{self.behavior} on truck {self.truck_id} at {self.alert_init:%Y-%m-%d %H:%M:%S}"


class Frame(models.Model):
    """One image of an alert's stream. The file is written by `services.add_frame`, which names it
    `alerts/frames/<truck_id>/<alert_id>/<frame_index>-<random>.<ext>`."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="frames")
    frame_index = models.PositiveIntegerField()
    frame_timestamp = models.DateTimeField()
    image = models.FileField(upload_to="alerts/frames/", max_length=255)
    image_format = models.CharField(max_length=4, choices=ImageFormat.choices)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-frame_timestamp", "-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "frame_index"], name="frame_natural_key")]
        indexes = [models.Index(fields=["alert", "frame_timestamp"], name="frame_alert_timestamp")]

    def __str__(self) -> str:
        return f"frame {self.frame_index} of alert {self.alert_id}"


class SafeFrame(models.Model):
    """A periodic "all is well" image of a truck, not tied to an alert. Stored as
    `alerts/safe/<truck_id>/<YYYY-MM-DD>/<random>.<ext>`."""

    truck = models.ForeignKey(Truck, on_delete=models.CASCADE, related_name="safe_frames")
    frame_index = models.PositiveIntegerField(default=0)
    frame_timestamp = models.DateTimeField()
    image = models.FileField(upload_to="alerts/safe/", max_length=255)
    image_format = models.CharField(max_length=4, choices=ImageFormat.choices)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-frame_timestamp", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["truck", "frame_timestamp", "frame_index"], name="safeframe_natural_key")
        ]
        indexes = [models.Index(fields=["truck", "frame_timestamp"], name="safeframe_truck_timestamp")]

    def __str__(self) -> str:
        return f"safe frame of truck {self.truck_id} at {self.frame_timestamp:%Y-%m-%d %H:%M:%S}"

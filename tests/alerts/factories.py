"""Factories for the alerts app (shared with alerts-live's tests). Rows go through the services where a
service owns the write, so passwords are hashed and files land in storage like in production."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth.hashers import make_password
from PIL import Image

from alerts import services
from alerts.models import Alert, Behavior, Device, Frame, SafeFrame, Truck

DEVICE_PASSWORD = "jetson-pass-123"
BASE_TIME = datetime(2020, 2, 19, 12, 59, 2, tzinfo=UTC)


def jpeg_bytes(width: int = 16, height: int = 12, color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def png_bytes(width: int = 8, height: int = 8, color=(30, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


class DeviceFactory(factory.django.DjangoModelFactory):
    """A device with its truck (`device.truck`)."""

    class Meta:
        model = Device
        skip_postgeneration_save = True

    mac = factory.Sequence(lambda n: f"dc:71:96:{(n >> 16) & 255:02x}:{(n >> 8) & 255:02x}:{n & 255:02x}")
    password = factory.LazyFunction(lambda: make_password(DEVICE_PASSWORD))

    @factory.post_generation
    def truck(self, create, extracted, **kwargs):
        if create and not Truck.objects.filter(device=self).exists():
            TruckFactory(device=self, **kwargs)


class TruckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Truck

    name = factory.Sequence(lambda n: f"Truck-{n}")


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    truck = factory.LazyFunction(lambda: DeviceFactory().truck)
    behavior = Behavior.UNSAFE
    alert_init = factory.Sequence(lambda n: BASE_TIME + timedelta(minutes=n))
    started = True


def make_frame(alert: Alert, *, index: int | None = None, at: datetime | None = None, image: bytes | None = None):
    """A stored frame of `alert` (file in storage), through `services.add_frame`."""
    return services.add_frame(
        device=None,
        alert_id=alert.pk,
        frame_timestamp=at or alert.alert_init + timedelta(seconds=1),
        image=image or jpeg_bytes(),
        frame_index=index,
    ).frame


def make_safe_frame(truck: Truck, *, at: datetime, index: int = 0, image: bytes | None = None) -> SafeFrame:
    return services.add_safe_frame(
        device=None, truck_id=truck.pk, frame_timestamp=at, image=image or jpeg_bytes(), frame_index=index
    ).frame


__all__ = ["AlertFactory", "DeviceFactory", "Frame", "TruckFactory", "jpeg_bytes", "make_frame", "png_bytes"]

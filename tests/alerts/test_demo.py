"""Demo data: trucks, devices and closed alerts with frames that really are stored JPEGs; idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from alerts import demo, services
from alerts.models import Alert, Device, Frame, SafeFrame, Truck
from labelplatform.errors import DomainError

pytestmark = pytest.mark.django_db


def test_demo_data_fills_the_monitor():
    out = StringIO()
    demo.load_demo_data(stdout=out)
    assert Truck.objects.count() == len(demo.DEMO_TRUCKS) == Device.objects.count()
    expected_alerts = sum(len(behaviors) for _, _, behaviors in demo.DEMO_TRUCKS)
    assert Alert.objects.count() == expected_alerts
    assert not Alert.objects.filter(started=True).exists()  # closed, so the board's live alerts stand out
    assert Frame.objects.count() == expected_alerts * demo.FRAMES_PER_ALERT
    assert SafeFrame.objects.count() == len(demo.DEMO_TRUCKS)
    frame = Frame.objects.first()
    with default_storage.open(frame.image.name) as stored:
        assert stored.read(3) == b"\xff\xd8\xff"
    for alert in Alert.objects.all():
        assert alert.alert_init <= alert.alert_end
        assert all(alert.alert_init <= f.frame_timestamp <= alert.alert_end for f in alert.frames.all())
    assert "3 trucks with alerts and frames created" in out.getvalue()


def test_demo_data_is_idempotent():
    demo.load_demo_data(stdout=StringIO())
    counts = (Truck.objects.count(), Alert.objects.count(), Frame.objects.count(), SafeFrame.objects.count())
    out = StringIO()
    demo.load_demo_data(stdout=out)
    assert (Truck.objects.count(), Alert.objects.count(), Frame.objects.count(), SafeFrame.objects.count()) == counts
    assert "0 trucks with alerts and frames created, 3 already present" in out.getvalue()


def test_demo_devices_sign_in_with_the_documented_password():
    demo.load_demo_data(stdout=StringIO())
    name, mac, _ = demo.DEMO_TRUCKS[0]
    registration = services.register_device(mac=mac, password=demo.DEMO_DEVICE_PASSWORD, name=name)
    assert registration.created is False and registration.truck.name == name


def test_a_demo_device_whose_password_changed_is_skipped_not_fatal():
    name, mac, _ = demo.DEMO_TRUCKS[0]
    device = services.register_device(mac=mac, password="changed-by-admin", name=name).device
    out = StringIO()
    demo.load_demo_data(stdout=out)
    assert f"truck {name!r} skipped" in out.getvalue()
    assert not Alert.objects.filter(truck__device=device).exists()
    assert Truck.objects.count() == len(demo.DEMO_TRUCKS)
    with pytest.raises(DomainError):
        services.register_device(mac=mac, password=demo.DEMO_DEVICE_PASSWORD, name=name)


def test_seed_demo_loads_the_alerts_demo():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Alerts demo:" in out.getvalue()
    assert Alert.objects.exists()

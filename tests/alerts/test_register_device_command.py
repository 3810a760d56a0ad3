"""`manage.py register_device` (alerts.md §7): same rules as device registration."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from alerts.models import Device, Truck
from alerts.services import register_device
from alerts.tokens import authenticate_device_token

pytestmark = pytest.mark.django_db


def run(monkeypatch, password: str, *args) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("register_device", *args, "--password-stdin", stdout=out)
    return out.getvalue().strip()


def test_pre_provisions_then_the_device_signs_in_with_the_same_ids(monkeypatch):
    out = run(monkeypatch, "pass123", "--mac", "DC-71-96-53-16-0A", "--name", "Truck 9")
    device = Device.objects.get()
    assert out == f"device {device.pk} truck {device.truck.pk} (registered)"
    assert device.mac == "dc:71:96:53:16:0a" and device.truck.name == "Truck 9"
    again = register_device(mac="dc:71:96:53:16:0a", password="pass123", name="Truck 9")
    assert again.device.pk == device.pk and authenticate_device_token(again.token) == device
    assert "already registered" in run(monkeypatch, "pass123", "--mac", "dc:71:96:53:16:0a", "--name", "Truck 9")


@pytest.mark.parametrize(
    ("password", "mac", "message"),
    [
        ("pass123", "nope", "Mac doesn't has correct format."),
        ("", "dc:71:96:53:16:0a", "the password is empty"),
        ("other", "aa:aa:aa:aa:aa:aa", "Wrong password."),
    ],
)
def test_refusals(monkeypatch, password, mac, message):
    register_device(mac="aa:aa:aa:aa:aa:aa", password="first", name="Existing")
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        run(monkeypatch, password, "--mac", mac, "--name", "Truck 9")
    assert Device.objects.count() == 1 and Truck.objects.count() == 1

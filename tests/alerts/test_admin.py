"""The alerts admin: lists with thumbnails from storage URLs, device actions, closing alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from alerts import events, services
from alerts.models import Alert, Device
from alerts.simulator import render_frame
from alerts.tokens import authenticate_device_token
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(username="chief", role=Role.MANAGER))
    return client


def make_truck(name="Truck 7", mac="02:00:00:00:00:07"):
    return services.register_device(mac=mac, password="pw-device-1", name=name)


def make_alert(registration, *, frames=2, minutes_ago=30, close=False):
    start = timezone.now() - timedelta(minutes=minutes_ago)
    alert = services.open_alert(
        device=registration.device, truck_id=registration.truck.pk, behavior="Unsafe", alert_init=start
    ).alert
    for index in range(frames):
        services.add_frame(
            device=registration.device,
            alert_id=alert.pk,
            frame_timestamp=start + timedelta(seconds=index),
            image=render_frame(width=64, height=48, index=index),
            frame_index=index,
        )
    if close:
        services.close_alert(alert=alert, alert_end=start + timedelta(minutes=1))
    return alert


def test_lists_render_for_a_manager(admin_client):
    registration = make_truck()
    alert = make_alert(registration)
    services.add_safe_frame(
        device=registration.device,
        truck_id=None,
        frame_timestamp=timezone.now(),
        image=render_frame(width=64, height=48),
    )
    for name in ("device", "truck", "alert", "frame", "safeframe"):
        response = admin_client.get(reverse(f"admin:alerts_{name}_changelist"))
        assert response.status_code == 200, name
    html = admin_client.get(reverse("admin:alerts_truck_changelist")).content.decode()
    assert "Truck 7" in html
    frame = alert.frames.order_by("frame_index").first()
    frames_html = admin_client.get(reverse("admin:alerts_frame_changelist")).content.decode()
    assert f'src="/media/{frame.image.name}"' in frames_html
    safe_html = admin_client.get(reverse("admin:alerts_safeframe_changelist")).content.decode()
    assert 'src="/media/alerts/safe/' in safe_html


def test_the_alerts_admin_speaks_simplified_chinese():
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    browser.force_login(UserFactory(username="chief", role=Role.MANAGER))
    registration = make_truck()
    html = browser.get(reverse("admin:alerts_device_changelist")).content.decode()
    assert "卡车告警" in html and "卡车" in html  # the app's name, the truck column
    assert "吊销令牌(设备须重新注册)" in html  # an action name
    assert "Revoke tokens" not in html
    response = _act(browser, "device", "revoke_device_tokens", [registration.device.pk])
    assert "已吊销 1 台设备的令牌。" in response.content.decode()
    alert = make_alert(registration, frames=1)
    page = browser.get(reverse("admin:alerts_alert_change", args=[alert.pk])).content.decode()
    assert 'alt="第 0 帧"' in page


def test_alert_page_shows_its_frames_as_thumbnails_from_storage(admin_client):
    alert = make_alert(make_truck(), frames=3)
    html = admin_client.get(reverse("admin:alerts_alert_change", args=[alert.pk])).content.decode()
    for frame in alert.frames.all():
        assert f'src="/media/{frame.image.name}"' in html
    assert "base64" not in html  # images are linked, never inlined
    # the thumbnail URL names the stored JPEG (served from MEDIA_ROOT or the bucket)
    first = alert.frames.first()
    with default_storage.open(first.image.name) as stored:
        assert stored.read(3) == b"\xff\xd8\xff"


def test_alert_filters_work(admin_client):
    registration = make_truck()
    make_alert(registration, minutes_ago=50, close=True)
    make_alert(registration, minutes_ago=10)
    url = reverse("admin:alerts_alert_changelist")
    assert admin_client.get(url, {"started__exact": "1"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"behavior__exact": "Unsafe"}).context["cl"].result_count == 2
    assert admin_client.get(url, {"behavior__exact": "Tamper"}).context["cl"].result_count == 0


def _act(client, model: str, action: str, ids):
    return client.post(
        reverse(f"admin:alerts_{model}_changelist"),
        {"action": action, "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def test_disable_enable_and_revoke_devices(admin_client):
    registration = make_truck()
    device = registration.device
    token = registration.token
    assert authenticate_device_token(token).pk == device.pk

    _act(admin_client, "device", "disable_devices", [device.pk])
    device.refresh_from_db()
    assert device.is_active is False
    with pytest.raises(Exception):  # noqa: B017 - disabled or revoked: either refusal is right
        authenticate_device_token(token)

    _act(admin_client, "device", "enable_devices", [device.pk])
    device.refresh_from_db()
    assert device.is_active is True
    fresh = services.register_device(mac=device.mac, password="pw-device-1", name="Truck 7").token
    assert authenticate_device_token(fresh).pk == device.pk

    version = device.token_version
    _act(admin_client, "device", "revoke_device_tokens", [device.pk])
    device.refresh_from_db()
    assert device.token_version == version + 1
    with pytest.raises(Exception):  # noqa: B017
        authenticate_device_token(fresh)


def test_reset_password_goes_through_a_form_and_revokes_tokens(admin_client):
    registration = make_truck()
    device = registration.device
    response = _act(admin_client, "device", "reset_device_password", [device.pk])
    assert response.redirect_chain[-1][0] == reverse("admin:alerts_device_password", args=[device.pk])
    url = reverse("admin:alerts_device_password", args=[device.pk])

    mismatch = admin_client.post(url, {"password1": "new-pass-1", "password2": "other"})
    assert mismatch.status_code == 200
    assert "differ" in mismatch.content.decode()

    done = admin_client.post(url, {"password1": "new-pass-1", "password2": "new-pass-1"})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.token_version == 1
    with pytest.raises(Exception):  # noqa: B017
        authenticate_device_token(registration.token)
    assert services.register_device(mac=device.mac, password="new-pass-1", name="Truck 7").device.pk == device.pk


def test_reset_password_needs_exactly_one_device(admin_client):
    one, two = make_truck(), make_truck("Truck 8", "02:00:00:00:00:08")
    response = _act(admin_client, "device", "reset_device_password", [one.device.pk, two.device.pk])
    assert "exactly one" in response.content.decode()


def test_close_selected_open_alerts_now_pushes_closed(admin_client, django_capture_on_commit_callbacks, monkeypatch):
    registration = make_truck()
    open_alert = make_alert(registration, minutes_ago=5)
    closed_alert = make_alert(registration, minutes_ago=40, close=True)
    sent = []
    monkeypatch.setattr(events, "send_to_watchers", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        _act(admin_client, "alert", "close_alerts_now", [open_alert.pk, closed_alert.pk])
    open_alert.refresh_from_db()
    assert open_alert.started is False and open_alert.alert_end is not None
    assert [(m["data"]["event"], m["data"]["alert"]["id"]) for m in sent] == [("closed", open_alert.pk)]
    assert Alert.objects.filter(started=False).count() == 2


def test_trucks_are_editable_but_not_addable(admin_client):
    registration = make_truck()
    truck = registration.truck
    url = reverse("admin:alerts_truck_change", args=[truck.pk])
    response = admin_client.post(url, {"name": "Truck 7b", "status": "Inactive"})
    assert response.status_code == 302
    truck.refresh_from_db()
    assert (truck.name, truck.status) == ("Truck 7b", "Inactive")
    assert admin_client.get(reverse("admin:alerts_truck_add")).status_code == 403
    assert admin_client.get(reverse("admin:alerts_device_add")).status_code == 403
    assert Device.objects.count() == 1


def test_frames_are_read_only(admin_client):
    alert = make_alert(make_truck(), frames=1)
    frame = alert.frames.get()
    response = admin_client.post(
        reverse("admin:alerts_frame_change", args=[frame.pk]), {"frame_index": 9, "size_bytes": 1}
    )
    assert response.status_code == 403
    frame.refresh_from_db()
    assert frame.frame_index == 0


def test_researchers_and_citizens_do_not_reach_the_alerts_admin():
    for role in (Role.RESEARCHER, Role.CITIZEN):
        client = Client()
        client.force_login(UserFactory(role=role))
        response = client.get(reverse("admin:alerts_alert_changelist"))
        assert response.status_code in {302, 403}, role

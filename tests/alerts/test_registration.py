"""Device registration and device tokens (alerts.md §1, §5.4): idempotent, one device per MAC, tokens of
their own kind, a device acting only for its own truck."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from accounts.tokens import issue_user_token
from alerts import services
from alerts.models import Device, Truck
from alerts.tokens import authenticate_device_token, issue_device_token
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/jetson/register/"
BODY = {"mac": "dc:71:96:53:16:0a", "password": "pass123", "name": "Truck-name"}


def register(client, body=BODY, method="post"):
    return getattr(client, method)(URL, body, format="json")


def error(response) -> tuple[int, str]:
    body = response.json()
    assert body["code"] == response.status_code
    return response.status_code, body["error"]


def test_first_registration_creates_device_and_truck(api_client):
    r = register(api_client, {**BODY, "role": "jetson"})  # the original required role; ignored here
    assert r.status_code == 200
    data = r.json()["data"]
    device = Device.objects.get(pk=data["id"])
    assert device.mac == "dc:71:96:53:16:0a" and device.truck.pk == data["truck_id"]
    assert device.truck.name == "Truck-name" and device.truck.status == "Active"
    assert device.password != "pass123" and check_password("pass123", device.password)
    assert device.last_ip == "127.0.0.1"
    assert authenticate_device_token(data["token"]) == device


def test_registration_is_idempotent_and_refreshes_the_token(api_client):
    first = register(api_client).json()["data"]
    second = register(api_client, {**BODY, "mac": "DC-71-96-53-16-0A"}).json()["data"]
    third = register(api_client, method="put").json()["data"]
    assert first["id"] == second["id"] == third["id"]
    assert first["truck_id"] == second["truck_id"] == third["truck_id"]
    assert (Device.objects.count(), Truck.objects.count()) == (1, 1)
    assert authenticate_device_token(third["token"]).pk == first["id"]


def test_known_mac_renames_its_truck(api_client):
    register(api_client)
    r = register(api_client, {**BODY, "name": "Renamed"})
    assert r.status_code == 200
    assert Truck.objects.get().name == "Renamed"


@pytest.mark.parametrize(
    ("body", "method", "status", "message"),
    [
        ({**BODY, "password": "wrong"}, "post", 401, "Wrong password."),
        ({**BODY, "mac": "aa:bb:cc:dd:ee:ff"}, "put", 401, "Jetson device dosen't exists"),
        ({**BODY, "mac": "aa:bb:cc:dd:ee:ff"}, "post", 409, "Truck already register."),
        ({**BODY, "mac": "<dc:71:96:53:16:0a>"}, "post", 400, "Mac doesn't has correct format."),
        ({**BODY, "password": "p" * 255}, "post", 413, "Password is too large."),
        ({**BODY, "name": "n" * 256}, "post", 400, 'Wrong value for "name" field in payload'),
        ({"password": "x", "name": "y"}, "post", 400, 'Missing "mac" field in payload'),
        ({**BODY, "password": ""}, "post", 400, 'Missing value for "password" field in payload'),
        ({**BODY, "name": None}, "post", 400, 'Missing value for "name" field in payload'),
        ({**BODY, "name": 7}, "post", 400, 'Wrong type for "name" field in payload'),
        ([1, 2], "post", 400, "No input data provided"),
        ({}, "post", 400, "No input data provided"),
    ],
)
def test_registration_refusals_change_nothing(api_client, body, method, status, message):
    register(api_client)
    before = list(Device.objects.values_list("mac", "password", "token_version")), list(Truck.objects.values())
    r = register(api_client, body, method)
    assert error(r) == (status, message)
    after = list(Device.objects.values_list("mac", "password", "token_version")), list(Truck.objects.values())
    assert before == after


def test_malformed_json_and_wrong_content_type(api_client):
    r = api_client.generic("POST", URL, "{not json", content_type="application/json")
    assert error(r) == (400, "No input data provided")
    r = api_client.post(URL, "mac=1", content_type="text/plain")
    assert error(r) == (400, "No input data provided")
    assert Device.objects.count() == 0


def test_disabled_device_cannot_register(api_client):
    device = services.register_device(**BODY).device
    services.disable_device(device=device)
    assert error(register(api_client)) == (403, "Device is disabled.")


def test_truck_name_of_another_device_is_refused_on_rename(api_client):
    services.register_device(mac="aa:aa:aa:aa:aa:aa", password="x", name="Taken")
    register(api_client)
    assert error(register(api_client, {**BODY, "name": "Taken"})) == (409, "Truck already register.")
    assert Truck.objects.get(device__mac=BODY["mac"]).name == "Truck-name"


def test_registration_is_throttled_per_ip(api_client, settings):
    settings.DEVICE_REGISTRATION_RATE = "2/min"
    assert register(api_client).status_code == 200
    assert register(api_client).status_code == 200
    assert error(register(api_client)) == (429, "Too many requests.")


# --- tokens ---------------------------------------------------------------------------------------------


def open_alert(client, token, truck_id, **extra):
    body = {"token": token, "truck_id": truck_id, "alert_init": "2020-02-19 12:59:02", "behavior": "Safe", **extra}
    return client.post("/api/v1/alert/", body, format="json")


def test_user_token_cannot_act_as_a_device(api_client):
    registration = services.register_device(**BODY)
    manager = UserFactory(username="boss", role="manager")
    r = open_alert(api_client, issue_user_token(manager), registration.truck.pk)
    assert error(r) == (401, "Wrong token")


def test_device_token_is_not_a_user_token(api_client):
    token = services.register_device(**BODY).token
    assert error(api_client.get(f"/api/v1/alert/?token={token}")) == (401, "Wrong token")
    r = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 401
    r = api_client.post(
        "/api/v1/user/register/",
        {"token": token, "new_user": {"username": "x", "password": "y", "role": "Full", "email": "x@example.org"}},
        format="json",
    )
    assert error(r) == (401, "Wrong token")


def test_revoked_expired_and_disabled_device_tokens(api_client, settings):
    registration = services.register_device(**BODY)
    truck_id = registration.truck.pk
    services.revoke_device_tokens(device=registration.device)
    assert error(open_alert(api_client, registration.token, truck_id)) == (401, "Wrong token")
    fresh = services.register_device(**BODY).token
    assert open_alert(api_client, fresh, truck_id).status_code == 200
    services.set_device_password(device=registration.device, password="new-pass")
    assert error(open_alert(api_client, fresh, truck_id)) == (401, "Wrong token")
    settings.DEVICE_TOKEN_LIFETIME = -settings.DEVICE_TOKEN_LIFETIME
    expired = issue_device_token(Device.objects.get())
    settings.DEVICE_TOKEN_LIFETIME = -settings.DEVICE_TOKEN_LIFETIME
    assert error(open_alert(api_client, expired, truck_id)) == (401, "Wrong token")
    device = Device.objects.get()
    current = issue_device_token(device)
    services.disable_device(device=device)
    assert error(open_alert(api_client, current, truck_id)) == (403, "Device is disabled.")
    services.enable_device(device=device)
    assert error(open_alert(api_client, current, truck_id)) == (401, "Wrong token")  # disabling revoked it
    assert error(open_alert(api_client, "a.b.c", truck_id)) == (401, "Wrong token")


def test_bearer_header_is_accepted_and_body_token_wins(api_client):
    registration = services.register_device(**BODY)
    body = {"truck_id": registration.truck.pk, "alert_init": "2020-02-19 12:59:02", "behavior": "Safe"}
    r = api_client.post("/api/v1/alert/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {registration.token}")
    assert r.status_code == 200
    r = api_client.post(
        "/api/v1/alert/", {**body, "token": "a.b.c"}, format="json", HTTP_AUTHORIZATION=f"Bearer {registration.token}"
    )
    assert error(r) == (401, "Wrong token")

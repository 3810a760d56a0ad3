"""Opening, closing and listing alerts over REST (alerts.md §5.5-5.7, §5.12): rules, retries, refusals,
filters and who may call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts import services as account_services
from accounts.models import ClientType, Role
from accounts.tokens import issue_user_token
from alerts import events, services
from alerts.models import Alert
from alerts.tokens import issue_device_token
from tests.accounts.factories import UserFactory
from tests.alerts.factories import BASE_TIME, AlertFactory, DeviceFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/alert/"


@pytest.fixture
def pushed(monkeypatch):
    """Messages sent to watchers (after commit)."""
    sent = []
    monkeypatch.setattr(events, "send_to_watchers", sent.append)
    return sent


def error(response) -> tuple[int, str]:
    body = response.json()
    assert body["code"] == response.status_code, body
    return response.status_code, body["error"]


def open_body(token, truck_id, **extra):
    return {"token": token, "truck_id": truck_id, "alert_init": "2020-02-19 12:59:02", "behavior": "Safe", **extra}


# --- open -----------------------------------------------------------------------------------------------


def test_open_then_retry_returns_the_same_alert_and_pushes_once(
    api_client, device, device_token, pushed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(URL, open_body(device_token, device.truck.pk), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        retry = api_client.post(URL, open_body(device_token, str(device.truck.pk)), format="json")
    assert first.json() == retry.json()
    assert first.json()["code"] == 201 and first.status_code == 200
    assert Alert.objects.count() == 1
    alert = Alert.objects.get()
    assert alert.started and alert.alert_end is None
    assert alert.alert_init == datetime(2020, 2, 19, 12, 59, 2, tzinfo=UTC)
    assert pushed == [{"type": "an_alert", "data": {"event": "opened", "alert": services.alert_data(alert)}}]


def test_same_time_other_behavior_is_another_alert(api_client, device, device_token):
    api_client.post(URL, open_body(device_token, device.truck.pk), format="json")
    api_client.post(URL, open_body(device_token, device.truck.pk, behavior="Single Hand"), format="json")
    assert Alert.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"behavior": "safe"}, 400, "Behavior Unknow."),
        ({"behavior": 3}, 400, 'Wrong type for "behavior" field in payload'),
        ({"alert_init": "19/02/2020"}, 400, "date fields must be in '%Y-%m-%d %H:%M:%S' format."),
        ({"alert_init": 1582117142}, 400, 'Wrong type for "alert_init" field in payload'),
        ({"truck_id": "one"}, 400, 'Wrong type for "truck_id" field in payload'),
        ({"truck_id": True}, 400, 'Wrong type for "truck_id" field in payload'),
        ({"truck_id": -4}, 400, 'Wrong value for "truck_id" field in payload'),
        ({"truck_id": 999999}, 400, "Truck_id doesn't exists."),
        ({"truck_id": None}, 400, 'Missing value for "truck_id" field in payload'),
        ({"token": ""}, 400, 'Missing value for "token" field in payload'),
        ({"token": 5}, 400, 'Wrong type for "token" field in payload'),
    ],
)
def test_open_refusals_store_nothing(api_client, device, device_token, pushed, change, status, message):
    r = api_client.post(URL, {**open_body(device_token, device.truck.pk), **change}, format="json")
    assert error(r) == (status, message)
    assert Alert.objects.count() == 0 and pushed == []


@pytest.mark.parametrize("missing", ["token", "truck_id", "alert_init", "behavior"])
def test_open_missing_field(api_client, device, device_token, missing):
    body = open_body(device_token, device.truck.pk)
    del body[missing]
    assert error(api_client.post(URL, body, format="json")) == (400, f'Missing "{missing}" field in payload')


def test_device_may_not_open_on_another_truck(api_client, device_token, other_device):
    r = api_client.post(URL, open_body(device_token, other_device.truck.pk), format="json")
    assert error(r) == (403, "Truck doesn't belong to this device.")
    assert Alert.objects.count() == 0


def test_iso_dates_and_local_zone(api_client, device, device_token, settings):
    settings.ALERTS_TIME_ZONE = "America/Santiago"
    api_client.post(URL, open_body(device_token, device.truck.pk), format="json")
    api_client.post(URL, open_body(device_token, device.truck.pk, alert_init="2020-02-19T12:59:02Z"), format="json")
    stored = sorted(Alert.objects.values_list("alert_init", flat=True))
    assert stored == [datetime(2020, 2, 19, 12, 59, 2, tzinfo=UTC), datetime(2020, 2, 19, 15, 59, 2, tzinfo=UTC)]


# --- close ----------------------------------------------------------------------------------------------


def close(client, token, alert_id, end="2020-02-19 13:10:00"):
    return client.put(URL, {"token": token, "alert_id": alert_id, "alert_end": end}, format="json")


def test_close_then_close_again(api_client, device, device_token, pushed, django_capture_on_commit_callbacks):
    alert = AlertFactory(truck=device.truck, alert_init=BASE_TIME)
    with django_capture_on_commit_callbacks(execute=True):
        r = close(api_client, device_token, alert.pk)
    assert r.json() == {"code": 200, "status_code": "Success", "data": {"id": alert.pk, "alert_id": alert.pk}}
    alert.refresh_from_db()
    assert not alert.started and alert.alert_end == datetime(2020, 2, 19, 13, 10, tzinfo=UTC) and alert.closed_at
    assert [m["data"]["event"] for m in pushed] == ["closed"]
    with django_capture_on_commit_callbacks(execute=True):
        again = close(api_client, device_token, alert.pk, "2020-02-19 13:20:00")
    assert error(again) == (409, "Alert is already closed.")
    alert.refresh_from_db()
    assert alert.alert_end == datetime(2020, 2, 19, 13, 10, tzinfo=UTC) and len(pushed) == 1


@pytest.mark.parametrize(
    ("alert_id", "end", "status", "message"),
    [
        (999999, "2020-02-19 13:10:00", 400, "Alert_id doesn't exists."),
        ("own", "2020-02-19 12:00:00", 400, "alert_end must not be before alert_init."),
        ("own", "tomorrow", 400, "date fields must be in '%Y-%m-%d %H:%M:%S' format."),
        ("own", None, 400, 'Missing value for "alert_end" field in payload'),
        ("x", "2020-02-19 13:10:00", 400, 'Wrong type for "alert_id" field in payload'),
        ("foreign", "2020-02-19 13:10:00", 403, "Alert doesn't belong to this device."),
    ],
)
def test_close_refusals_change_nothing(api_client, device, device_token, other_device, alert_id, end, status, message):
    own = AlertFactory(truck=device.truck, alert_init=BASE_TIME)
    foreign = AlertFactory(truck=other_device.truck, alert_init=BASE_TIME)
    alert_id = {"own": own.pk, "foreign": foreign.pk}.get(alert_id, alert_id)
    assert error(close(api_client, device_token, alert_id, end)) == (status, message)
    assert Alert.objects.filter(started=True).count() == 2


# --- list -----------------------------------------------------------------------------------------------


@pytest.fixture
def many_alerts(device, other_device):
    alerts = []
    for n in range(25):
        truck = device.truck if n % 2 == 0 else other_device.truck
        alert = AlertFactory(truck=truck, alert_init=BASE_TIME + timedelta(minutes=n), behavior="Unsafe")
        if n < 5:
            services.close_alert(alert=alert, alert_end=alert.alert_init + timedelta(minutes=1))
        alerts.append(alert)
    return alerts


def listing(client, token, query=""):
    r = client.get(f"{URL}?token={token}&username=whatever{query}")
    assert r.status_code == 200, r.json()
    return r.json()["data"]


def test_list_pages_newest_first(api_client, watcher_token, many_alerts):
    first = listing(api_client, watcher_token)
    assert [a["id"] for a in first["alerts"]] == [a.pk for a in reversed(many_alerts)][:20]
    assert (first["totalItems"], first["totalPages"], first["perPage"]) == (25, 2, 20)
    second = listing(api_client, watcher_token, "&page=2")
    assert len(second["alerts"]) == 5
    assert listing(api_client, watcher_token, "&page=9")["alerts"] == []
    small = listing(api_client, watcher_token, "&limit=7&page=4")
    assert len(small["alerts"]) == 4 and small["totalPages"] == 4


def test_list_filters(api_client, watcher_token, many_alerts, device):
    assert listing(api_client, watcher_token, f"&truck_id={device.truck.pk}")["totalItems"] == 13
    assert listing(api_client, watcher_token, "&truck_name=Truck-B")["totalItems"] == 12
    assert listing(api_client, watcher_token, "&started=False")["totalItems"] == 5
    assert listing(api_client, watcher_token, "&started=true")["totalItems"] == 20
    assert listing(api_client, watcher_token, "&behavior=Safe")["totalItems"] == 0
    assert listing(api_client, watcher_token, "&alert_init=2020-02-19 13:19:02")["totalItems"] == 5
    ranged = listing(
        api_client, watcher_token, "&alert_init_start=2020-02-19 13:00:02&alert_init_end=2020-02-19 13:02:02"
    )
    assert ranged["totalItems"] == 3
    ended = listing(
        api_client,
        watcher_token,
        "&alert_finish_time_start=2020-02-19 13:00:00&alert_finish_time_end=2020-02-19 13:01:30",
    )
    assert ended["totalItems"] == 2
    only = listing(api_client, watcher_token, f"&id={many_alerts[3].pk}&truck_id=999")
    assert [a["id"] for a in only["alerts"]] == [many_alerts[3].pk]
    ascending = listing(api_client, watcher_token, "&sort_name=id&sort_order=ASC&limit=3")
    assert [a["id"] for a in ascending["alerts"]] == [a.pk for a in many_alerts[:3]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("&page=0", 'Wrong value for "page" parameter in query'),
        ("&limit=0", 'Wrong value for "limit" parameter in query'),
        ("&limit=101", 'Wrong value for "limit" parameter in query'),
        ("&truck_id=abc", 'Wrong value for "truck_id" parameter in query'),
        ("&behavior=safe", 'Wrong value for "behavior" parameter in query'),
        ("&started=maybe", 'Wrong value for "started" parameter in query'),
        ("&sort_name=truck_id;drop", 'Wrong value for "sort_name" parameter in query'),
        ("&sort_order=up", 'Wrong value for "sort_order" parameter in query'),
        ("&alert_init=yesterday", 'Wrong value for "alert_init" parameter in query'),
        ("&alert_init_start=2020-02-19 13:00:02", 'Missing "alert_init_end" parameter in query'),
    ],
)
def test_list_bad_parameters(api_client, watcher_token, query, message):
    assert error(api_client.get(f"{URL}?token={watcher_token}{query}")) == (400, message)


def test_who_may_list(api_client, db, device_token):
    def status(token):
        return api_client.get(f"{URL}?token={token}").status_code

    manager = UserFactory(username="m", role=Role.MANAGER)
    citizen = UserFactory(username="c")
    watcher = UserFactory(username="w", watcher=True)
    superuser = UserFactory(username="s", role=Role.CITIZEN)
    superuser.is_superuser = True
    superuser.save()
    assert status(issue_user_token(manager)) == 200
    assert status(issue_user_token(watcher)) == 200
    assert status(issue_user_token(superuser)) == 200
    assert error(api_client.get(f"{URL}?token={issue_user_token(citizen)}")) == (
        403,
        "Current user don't has permission",
    )
    assert status(device_token) == 401
    assert error(api_client.get(URL)) == (400, 'Missing "token" parameter in query')
    r = api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {issue_user_token(watcher)}")
    assert r.status_code == 200
    token = issue_user_token(watcher)
    account_services.set_client_type(user=watcher, client_type=ClientType.BLACKLISTED)
    assert status(token) == 403
    manager.is_active = False
    manager.save()
    assert status(issue_user_token(manager)) == 401


# --- trucks ---------------------------------------------------------------------------------------------


def test_truck_list(api_client, watcher_token, many_alerts, device):
    data = api_client.get(f"/api/v1/truck/list/?token={watcher_token}&include_last_alert=true").json()["data"]
    assert data["totalItems"] == 2 and data["perPage"] == 10
    by_name = {truck["name"]: truck for truck in data["trucks"]}
    assert by_name["Truck-A"]["alerts_total"] == 13
    assert by_name["Truck-A"]["last_alert"]["id"] == many_alerts[24].pk
    assert by_name["Truck-B"]["last_alert"]["id"] == many_alerts[23].pk
    plain = api_client.get(f"/api/v1/truck/list/?token={watcher_token}&name=Truck-A").json()["data"]
    assert plain["trucks"] == [{"id": device.truck.pk, "name": "Truck-A", "status": "Active"}]


def test_device_token_issued_for_factory_device_is_usable(api_client, db):
    device = DeviceFactory()
    token = issue_device_token(device)
    assert api_client.post(URL, open_body(token, device.truck.pk), format="json").status_code == 200


def test_an_oversize_body_is_413_in_the_envelope(api_client, device, device_token):
    """Above Django's DATA_UPLOAD_MAX_MEMORY_SIZE too: never an HTML page."""
    body = {**open_body(device_token, device.truck.pk), "padding": "x" * 3_000_000}
    r = api_client.post(URL, body, format="json")
    assert r.status_code == 413 and r.json()["code"] == 413 and r.json()["status_code"] == "Payload Too Large"
    assert Alert.objects.count() == 0


def test_paths_without_the_trailing_slash_and_wrong_methods(api_client, device, device_token, watcher_token):
    r = api_client.post("/api/v1/alert", open_body(device_token, device.truck.pk), format="json")
    assert r.status_code == 200 and r.json()["code"] == 201
    assert (
        api_client.get(f"/api/v1/truck/laststatus?token={watcher_token}&truck_id={device.truck.pk}").status_code == 404
    )
    r = api_client.delete(f"{URL}?token={watcher_token}")
    assert r.status_code == 405 and r.json()["code"] == 405 and r.json()["status_code"] == "Method Not Allowed"
    r = api_client.get(f"/api/v1/safe/?token={watcher_token}")
    assert r.status_code == 405

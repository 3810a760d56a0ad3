"""Seed 000 labeling end to end against two real ASGI server processes on MariaDB: log in, get a batch
from one process, return it to the other after the real 5-second nbf, listings in MariaDB's order, and
get_all_labels streamed by uvicorn."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from tests.videos.factories import VideoFactory, gold_videos
from videos.models import Batch, LabelerProfile, Video

pytestmark = pytest.mark.django_db(transaction=True)


def test_label_a_batch_across_two_processes(asgi_servers, evidence):
    a, b = asgi_servers
    gold = gold_videos(3, 3)
    VideoFactory.create_batch(20)
    gold_state = {v.pk: v.label_state_admin for v in gold}
    login = requests.post(f"{a.url}/api/v1/login", json={"client_id": "uuid.integration.videos"}, timeout=10)
    assert login.status_code == 200, login.text
    user_token = login.json()["user_token"]

    issued = requests.post(f"{a.url}/api/v1/get_batch", json={"user_token": user_token}, timeout=10)
    assert issued.status_code == 200, issued.text
    batch = issued.json()
    assert len(batch["data"]) == 16 and batch["data"][0]["url_root"].startswith(a.url)
    data = [{"video_id": c["id"], "label": 0 if gold_state.get(c["id"]) == 32 else 1} for c in batch["data"]]
    payload = {"data": data, "user_token": user_token, "video_token": batch["video_token"]}

    early = requests.post(f"{b.url}/api/v1/send_batch", json=payload, timeout=10)
    assert (early.status_code, early.json()) == (401, {"message": "The token is not yet valid (nbf)"})
    time.sleep(5.2)
    sent = requests.post(f"{b.url}/api/v1/send_batch", json=payload, timeout=10)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"data": {"score": {"batch": 12, "user": 12, "raw": 12}}}
    again = requests.post(f"{a.url}/api/v1/send_batch", json=payload, timeout=10)
    assert (again.status_code, again.json()) == (409, {"message": "This batch was already returned"})
    user_batch = Batch.objects.get()
    assert LabelerProfile.objects.get(user=user_batch.user).score == 12 and user_batch.connection_id is not None
    evidence("videos: get_batch on server A, send_batch on B after the real 5 s nbf -> 200, replay on A -> 409")


def test_listing_order_on_mariadb(asgi_servers):
    """Never-labeled clips last, ties by id descending, with MariaDB's own NULL ordering."""
    a, _ = asgi_servers
    now = timezone.now()
    never = VideoFactory(label_state=23)
    older = VideoFactory(label_state=23, label_update_time=now - timedelta(hours=1))
    newer = VideoFactory(label_state=23, label_update_time=now)
    tie = VideoFactory(label_state=23, label_update_time=now)
    never2 = VideoFactory(label_state=23)
    response = requests.post(
        f"{a.url}/api/v1/get_pos_labels",
        data="pageSize=16&pageNumber=1",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json()["data"]] == [tie.pk, newer.pk, older.pk, never2.pk, never.pk]
    empty = requests.get(f"{a.url}/api/v1/get_neg_labels", timeout=10)
    assert (empty.status_code, empty.content) == (204, b"")


def test_get_all_labels_streams_under_uvicorn(asgi_servers, evidence):
    from accounts import services as account_services
    from accounts.models import User

    a, _ = asgi_servers
    count = 5000
    Video.objects.bulk_create(
        [Video(file_name=f"0-1-2019-01-17-{i}-928-0-0-180-180-{i}-1547732890-1547733065") for i in range(count)]
    )
    login = requests.post(f"{a.url}/api/v1/login", json={"client_id": "uuid.integration.researcher"}, timeout=10)
    account_services.set_client_type(user=User.objects.get(client_id="uuid.integration.researcher"), client_type=0)
    started = time.perf_counter()
    with requests.post(
        f"{a.url}/api/v1/get_all_labels",
        data={"user_token": login.json()["user_token_for_other_app"]},
        stream=True,
        timeout=60,
    ) as response:
        assert response.status_code == 200
        assert response.headers.get("Transfer-Encoding") == "chunked"
        pieces = list(response.iter_content(chunk_size=None))
    body = b"".join(pieces)
    elapsed = time.perf_counter() - started
    import json

    data = json.loads(body)["data"]
    assert len(data) == count and [c["id"] for c in data] == sorted(c["id"] for c in data)
    assert set(data[0]) >= {"label_state", "label_state_admin"}
    evidence(f"videos: get_all_labels streamed {count} clips ({len(body)} bytes, chunked) in {elapsed:.2f} s")

"""POST /verify as the seed's curl examples call it (local paths, uploads), and GET /verify/<id>."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import bearer_client
from verification.models import JobStatus, RenditionResult, VerificationJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verification_settings")]

VERDICT_FIELDS = {"ocsvm_dist", "tamper_ul", "tamper_sl", "tamper", "ssim_pred"}


def seed_local_document() -> dict:
    """The seed's "local assets" example, pointed at the generated clips under VERIFY_MEDIA_ROOT."""
    return {
        "source": "stream/source.mp4",
        "renditions": [
            {"uri": "stream/90p_flipped.mp4"},
            {
                "uri": "stream/90p.mp4",
                "resolution": {"height": "90", "width": "160"},
                "frame_rate": "24",
                "pixels": "691200",
            },
        ],
        "orchestratorID": "foo",
    }


def post_json(client, document, **extra):
    return client.post("/verify", data=json.dumps(document), content_type="application/json", **extra)


def test_seed_local_example_returns_the_documented_fields(api_client, small_verifier):
    response = post_json(api_client, seed_local_document())

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["orchestrator_id"] == "foo"
    assert body["source"] == "stream/source.mp4"
    assert body["model"] == small_verifier.version
    flipped, honest = body["results"]
    assert flipped["uri"] == "stream/90p_flipped.mp4"
    assert honest["uri"] == "stream/90p.mp4"
    for result in (flipped, honest):
        assert result["video_available"] is True
        assert result["audio_available"] is False
        assert (result["width"], result["height"], result["fps"]) == (160, 90, 24.0)
        assert set(result) >= VERDICT_FIELDS
        assert all(
            result[name] in (0, 1) and isinstance(result[name], int) for name in ("tamper", "tamper_ul", "tamper_sl")
        )
        assert 0.0 <= result["ssim_pred"] <= 1.0
        assert result["timestamps"] and all(isinstance(t, float) for t in result["timestamps"])
        assert not any(key.endswith("_post_verification") for key in result)
        assert "tamper_meta" not in result
    # frame_rate / resolution / pixels only where sent; values echoed as sent, ratios measured vs expected
    assert not {"frame_rate", "resolution", "pixels"} & set(flipped)
    assert honest["frame_rate"] is True
    assert honest["resolution"] == {
        "height": "90",
        "width": "160",
        "height_pre_verification": 1.0,
        "width_pre_verification": 1.0,
    }
    assert honest["pixels"] == "691200"
    assert honest["pixels_pre_verification"] == pytest.approx(1.0)  # 160 x 90 x 48 frames

    job = VerificationJob.objects.get()
    assert job.status == JobStatus.DONE and job.result == body and job.model_version == small_verifier.version
    assert {"features", "classify", "total"} <= set(job.timings)
    assert list(job.renditions.values_list("position", "uri")) == [(0, "stream/90p_flipped.mp4"), (1, "stream/90p.mp4")]


def test_expectations_that_do_not_match_are_reported(api_client):
    document = {
        "source": "stream/source.mp4",
        "orchestrator_id": "bar",
        "renditions": [
            {"uri": "stream/90p.mp4", "resolution": {"height": 180, "width": 320}, "frame_rate": 30, "pixels": 1382400},
            {"uri": "stream/90p.mp4", "frame_rate": 0},
        ],
    }
    body = post_json(api_client, document).json()
    wrong, same_as_source = body["results"]
    assert body["orchestrator_id"] == "bar"
    assert wrong["frame_rate"] is False
    assert wrong["resolution"]["height_pre_verification"] == 0.5
    assert wrong["resolution"]["width_pre_verification"] == 0.5
    assert wrong["pixels_pre_verification"] == pytest.approx(2.0)  # 1382400 expected / 691200 measured
    assert same_as_source["frame_rate"] is True  # 0 means "the source's frame rate" (24)


def test_same_request_same_verdict(api_client):
    first = post_json(api_client, seed_local_document()).json()
    second = post_json(api_client, seed_local_document()).json()
    assert first == second
    assert VerificationJob.objects.count() == 2


def test_seed_upload_example(api_client, clip_root, settings):
    stream = clip_root / "stream"
    document = {"source": "1080_clip_60.mp4", "renditions": [{"uri": "720_clip_60.mp4"}], "orchestratorID": "foo"}
    response = api_client.post(
        "/verify",
        data={
            "file1": SimpleUploadedFile("1080_clip_60.mp4", (stream / "source.mp4").read_bytes(), "video/mp4"),
            "file2": SimpleUploadedFile("720_clip_60.mp4", (stream / "90p.mp4").read_bytes(), "video/mp4"),
            "json": json.dumps(document),
        },
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["source"] == "1080_clip_60.mp4"  # echoed as sent, not a server path
    (result,) = body["results"]
    assert result["uri"] == "720_clip_60.mp4"
    assert result["video_available"] is True and set(result) >= VERDICT_FIELDS
    job = VerificationJob.objects.get()
    stored = [job.request["source"]["location"], job.request["renditions"][0]["location"]]
    assert all(loc["kind"] == "upload" and "clip_60" not in loc["target"] for loc in stored)
    # uploads are kept only until the job is answered
    assert not any(default_storage.exists(loc["target"]) for loc in stored)


def test_unreadable_rendition_is_not_available_but_answers(api_client, clip_root):
    (clip_root / "stream" / "garbage.mp4").write_bytes(b"\x00\x01not a video" * 100)
    document = {
        "source": "stream/source.mp4",
        "renditions": [
            {"uri": "stream/garbage.mp4"},
            {"uri": "stream/missing.mp4", "frame_rate": 24},
            {"uri": "stream/90p.mp4"},
        ],
    }
    response = post_json(api_client, document)

    assert response.status_code == 200, response.content
    garbage, missing, good = response.json()["results"]
    for result in (garbage, missing):
        assert result["video_available"] is False
        assert not (VERDICT_FIELDS | {"frame_rate", "fps"}) & set(result)
    assert good["video_available"] is True
    assert RenditionResult.objects.filter(video_available=False).count() == 2


@pytest.mark.parametrize(
    ("source", "message"),
    [("stream/nothing-here.mp4", "no such file"), ("stream/garbage-source.mp4", "no readable video")],
)
def test_missing_or_unreadable_source_is_400(api_client, clip_root, source, message):
    (clip_root / "stream" / "garbage-source.mp4").write_bytes(b"junk" * 1000)
    response = post_json(api_client, {"source": source, "renditions": [{"uri": "stream/90p.mp4"}]})
    assert response.status_code == 400
    assert response.json()["field"] == "source" and message in response.json()["detail"]
    assert not VerificationJob.objects.exists()


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"source": "../etc/passwd", "renditions": [{"uri": "stream/90p.mp4"}]}, "source"),
        ({"source": "/etc/passwd", "renditions": [{"uri": "stream/90p.mp4"}]}, "source"),
        ({"source": "stream/source.mp4", "renditions": [{"uri": "stream/../../x.mp4"}]}, "renditions[0].uri"),
        ({"source": "stream/source.mp4", "renditions": [{"uri": "file:///etc/passwd"}]}, "renditions[0].uri"),
        (
            {"source": "https://storage.googleapis.com/a/b.mp4", "renditions": [{"uri": "stream/90p.mp4"}]},
            "source",
        ),
        ({"source": "stream/source.mp4", "renditions": [{"uri": "ftp://example.org/x.mp4"}]}, "renditions[0].uri"),
    ],
)
def test_uris_outside_the_allowed_places_are_refused(api_client, document, field):
    response = post_json(api_client, document)
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["code"] == "uri_refused"
    assert not VerificationJob.objects.exists()


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"renditions": [{"uri": "stream/90p.mp4"}]}, "source"),
        ({"source": "stream/source.mp4"}, "renditions"),
        ({"source": "stream/source.mp4", "renditions": []}, "renditions"),
        ({"source": "stream/source.mp4", "renditions": "stream/90p.mp4"}, "renditions"),
        ({"source": "stream/source.mp4", "renditions": [{}]}, "renditions[0].uri"),
        ({"source": 7, "renditions": [{"uri": "stream/90p.mp4"}]}, "source"),
        (
            {
                "source": "stream/source.mp4",
                "renditions": [{"uri": "a"}, {"uri": "b", "resolution": {"height": "x", "width": 1}}],
            },
            "renditions[1].resolution.height",
        ),
        (
            {"source": "stream/source.mp4", "renditions": [{"uri": "a", "resolution": {"height": 90}}]},
            "renditions[0].resolution.width",
        ),
        (
            {"source": "stream/source.mp4", "renditions": [{"uri": "a", "frame_rate": "fast"}]},
            "renditions[0].frame_rate",
        ),
        (
            {"source": "stream/source.mp4", "renditions": [{"uri": "a", "frame_rate": "nan"}]},
            "renditions[0].frame_rate",
        ),
        ({"source": "stream/source.mp4", "renditions": [{"uri": "a", "frame_rate": -1}]}, "renditions[0].frame_rate"),
        ({"source": "stream/source.mp4", "renditions": [{"uri": "a", "pixels": "1.5e9x"}]}, "renditions[0].pixels"),
        ({"source": "stream/source.mp4", "renditions": [{"uri": "a"}], "orchestratorID": ["x"]}, "orchestratorID"),
        (["not", "an", "object"], "body"),
    ],
)
def test_malformed_documents_name_the_field(api_client, document, field):
    response = post_json(api_client, document)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not VerificationJob.objects.exists()


def test_broken_json_and_other_media_types(api_client):
    broken = api_client.post("/verify", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["field"] == "body"
    form = api_client.post("/verify", data="source=x", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and form.json()["code"] == "unsupported_media_type"


def test_too_many_renditions(api_client, settings):
    settings.VERIFY_MAX_RENDITIONS = 2
    document = {"source": "stream/source.mp4", "renditions": [{"uri": "stream/90p.mp4"}] * 3}
    response = post_json(api_client, document)
    assert response.status_code == 400 and response.json()["field"] == "renditions"
    assert "at most 2" in response.json()["detail"]


def _upload(name: str, content: bytes = b"x" * 10) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "video/mp4")


def test_multipart_refusals(api_client, clip_root, settings):
    source = (clip_root / "stream" / "source.mp4").read_bytes()
    doc = json.dumps({"source": "s.mp4", "renditions": [{"uri": "r.mp4"}]})

    missing_json = api_client.post("/verify", data={"file1": _upload("s.mp4", source)}, format="multipart")
    assert missing_json.status_code == 400 and missing_json.json()["field"] == "json"

    bad_json = api_client.post("/verify", data={"json": "{oops", "file1": _upload("s.mp4", source)}, format="multipart")
    assert bad_json.status_code == 400 and bad_json.json()["field"] == "json"

    same_name = api_client.post(
        "/verify", data={"json": doc, "file": [_upload("s.mp4", source), _upload("r.mp4")]}, format="multipart"
    )
    assert same_name.status_code == 400 and same_name.json()["field"] == "file"

    stray = api_client.post(
        "/verify",
        data={"json": doc, "file1": _upload("s.mp4", source), "file2": _upload("other.mp4")},
        format="multipart",
    )
    assert stray.status_code == 400 and stray.json()["field"] == "other.mp4"

    settings.VERIFY_MAX_FILE_BYTES = 1000
    too_big = api_client.post("/verify", data={"json": doc, "file1": _upload("s.mp4", source)}, format="multipart")
    assert too_big.status_code == 413 and too_big.json()["field"] == "s.mp4"

    assert not VerificationJob.objects.exists()
    assert not default_storage.exists("verification-uploads")


def test_uploaded_source_that_is_not_a_video_is_400(api_client, settings):
    doc = json.dumps({"source": "s.mp4", "renditions": [{"uri": "r.mp4"}]})
    response = api_client.post(
        "/verify", data={"json": doc, "a": _upload("s.mp4"), "b": _upload("r.mp4")}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["field"] == "source"
    assert not VerificationJob.objects.exists()
    uploads = settings.MEDIA_ROOT / "verification-uploads"
    assert not [path for path in uploads.rglob("*") if path.is_file()]  # the stored copies were removed


# --- the job form -------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["query", "prefer"])
def test_async_answers_202_then_the_job_has_the_same_document(api_client, how):
    extra = {"HTTP_PREFER": "respond-async"} if how == "prefer" else {}
    path = "/verify?async=1" if how == "query" else "/verify"
    response = api_client.post(path, data=json.dumps(seed_local_document()), content_type="application/json", **extra)

    assert response.status_code == 202
    accepted = response.json()
    assert response["Location"] == accepted["url"] and accepted["url"].endswith(f"/verify/{accepted['id']}")
    if how == "prefer":
        assert response["Preference-Applied"] == "respond-async"
    state = api_client.get(f"/verify/{accepted['id']}").json()
    assert state["status"] == "done"
    assert state["result"] == post_json(api_client, seed_local_document()).json()
    assert state["model"] == state["result"]["model"] and "error" not in state


def test_sync_call_past_its_timeout_answers_202_and_the_job_finishes_later(api_client, settings, monkeypatch):
    from verification import services, tasks

    settings.VERIFY_SYNC_TIMEOUT = 0.3
    monkeypatch.setattr(services, "_schedule", lambda job_id: None)  # no worker picks it up yet
    response = post_json(api_client, seed_local_document())

    assert response.status_code == 202
    job_id = response.json()["id"]
    assert api_client.get(f"/verify/{job_id}").json()["status"] == "queued"
    assert tasks.verify_renditions_job.apply(args=[job_id]).get() == "done"
    state = api_client.get(f"/verify/{job_id}").json()
    assert state["status"] == "done" and len(state["result"]["results"]) == 2


def test_prefer_wait_shortens_the_synchronous_wait(api_client, monkeypatch):
    from verification import services

    monkeypatch.setattr(services, "_schedule", lambda job_id: None)
    response = post_json(api_client, seed_local_document(), HTTP_PREFER="wait=0")
    assert response.status_code == 202 and "Preference-Applied" not in response


@pytest.mark.parametrize("job_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_job_is_404(api_client, job_id):
    response = api_client.get(f"/verify/{job_id}")
    assert response.status_code == 404 and "detail" in response.json()


def test_who_may_read_a_job(api_client, citizen, manager, expert):
    owner = bearer_client(citizen)
    mine = owner.post("/verify?async=1", data=json.dumps(seed_local_document()), content_type="application/json")
    anonymous = api_client.post(
        "/verify?async=1", data=json.dumps(seed_local_document()), content_type="application/json"
    )
    mine_id, anonymous_id = mine.json()["id"], anonymous.json()["id"]
    assert VerificationJob.objects.get(pk=mine_id).requested_by == citizen

    assert owner.get(f"/verify/{mine_id}").status_code == 200
    assert bearer_client(manager).get(f"/verify/{mine_id}").status_code == 200
    assert bearer_client(expert).get(f"/verify/{mine_id}").status_code == 404
    assert api_client.get(f"/verify/{mine_id}").status_code == 404
    for client in (api_client, owner, bearer_client(expert)):
        assert client.get(f"/verify/{anonymous_id}").status_code == 200


def test_bad_token_is_401_not_anonymous(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    response = post_json(api_client, seed_local_document())
    assert response.status_code == 401
    assert not VerificationJob.objects.exists()


# --- limits -------------------------------------------------------------------------------------------


def test_anonymous_callers_are_throttled_per_address(api_client, citizen, settings):
    settings.VERIFY_ANON_RATE = "2/min"
    settings.VERIFY_USER_RATE = "5/min"
    document = {"source": "stream/missing.mp4", "renditions": [{"uri": "stream/90p.mp4"}]}
    assert [post_json(api_client, document).status_code for _ in range(2)] == [400, 400]
    throttled = post_json(api_client, document)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled" and int(throttled["Retry-After"]) > 0
    other_address = post_json(api_client, document, REMOTE_ADDR="10.9.8.7")
    assert other_address.status_code == 400
    # a platform token gets the user budget instead
    user = bearer_client(citizen)
    assert [post_json(user, document).status_code for _ in range(5)] == [400] * 5
    assert post_json(user, document).status_code == 429


def test_idempotency_key_returns_the_first_job(api_client):
    first = post_json(api_client, seed_local_document(), HTTP_IDEMPOTENCY_KEY="retry-1")
    second = post_json(api_client, seed_local_document(), HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert VerificationJob.objects.count() == 1

    changed = seed_local_document() | {"orchestratorID": "other"}
    conflict = post_json(api_client, changed, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert conflict.status_code == 409 and conflict.json()["field"] == "Idempotency-Key"
    bad_key = post_json(api_client, seed_local_document(), HTTP_IDEMPOTENCY_KEY="x" * 200)
    assert bad_key.status_code == 400 and bad_key.json()["field"] == "Idempotency-Key"
    assert VerificationJob.objects.count() == 1


def test_schema_documents_verify(api_client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/verify" in schema["paths"] and "/verify/{job_id}" in schema["paths"]
    content = schema["paths"]["/verify"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)


def test_job_visibility_per_caller(citizen, expert, manager):
    from tests.verification.factories import VerificationJobFactory
    from verification import selectors

    anonymous, owned = VerificationJobFactory(), VerificationJobFactory(requested_by=citizen)
    assert set(selectors.jobs_visible_to(citizen)) == {anonymous, owned}
    assert set(selectors.jobs_visible_to(expert)) == {anonymous}
    assert set(selectors.jobs_visible_to(manager)) == {anonymous, owned}

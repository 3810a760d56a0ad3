"""Request helpers shared by the videos API tests."""

from __future__ import annotations

import json

import jwt
from django.conf import settings
from freezegun import freeze_time


def post(client, path: str, body=None, *, bearer: str | None = None, form: bool = False):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
    if body is None:
        return client.post(path, **headers)
    if form:
        return client.generic(
            "POST", path, _form(body), content_type="application/x-www-form-urlencoded; charset=UTF-8", **headers
        )
    return client.generic("POST", path, json.dumps(body), content_type="application/json", **headers)


def _form(body: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(body)


def message(response) -> str:
    return response.json()["message"]


def claims_of(video_token: str) -> dict:
    return jwt.decode(
        video_token,
        settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithms=["HS256"],
        options={"verify_nbf": False, "verify_signature": False},
    )


def get_batch(client, user_token: str):
    return post(client, "/api/v1/get_batch", {"user_token": user_token})


def answers_for(batch_json: dict, label_of=lambda clip: 1) -> list[dict]:
    return [{"video_id": clip["id"], "label": label_of(clip)} for clip in batch_json["data"]]


def send_batch(client, user_token: str, video_token: str, data: list[dict], *, later: bool = True):
    """send_batch as a client would, `later` = 6 s after the token was issued (past its nbf)."""
    body = {"data": data, "user_token": user_token, "video_token": video_token}
    if not later:
        return post(client, "/api/v1/send_batch", body)
    iat = claims_of(video_token)["iat"]
    with freeze_time(_from_epoch(iat + 6)):
        return post(client, "/api/v1/send_batch", body)


def _from_epoch(value: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(value, tz=UTC)

"""Seed 000's `video_token` (videos.md §3.5): proves the server issued a batch to this user.

HS256 with the platform key; claims `iat`, `nbf` = `iat` + 5, `jti`, `video_id_list`, `batch_id`,
`user_id`, no `exp`. The 5-second `nbf` (no leeway) stops a script from returning a batch without
watching it; single use is enforced by `Batch.return_time` (services.return_batch), not by the token.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt
from django.conf import settings

from videos import states

BATCH_NOT_VALID = "Signature of the video batch is not valid"


class VideoTokenRejected(Exception):
    """The token cannot be decoded (bad signature, malformed, `nbf` in the future); `reason` is PyJWT's."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VideoTokenClaims:
    batch_id: int
    user_id: int
    video_ids: list[int]


def labeler_user_tokens(connection) -> dict[str, str]:
    """`{"user_token", "user_token_for_other_app"}` for a Connection, with the claims of seed 000's login
    (videos.md §3.1-3.2): for the web pages' signed-in users."""
    from accounts.tokens import issue_user_token
    from videos.models import LabelerProfile

    user = connection.user
    profile, _ = LabelerProfile.objects.get_or_create(user=user)
    common = {"issued_at": connection.time, "client_type": connection.client_type, "bound_to_password": False}
    return {
        "user_token": issue_user_token(
            user, connection_id=connection.pk, user_score=profile.score, user_raw_score=profile.raw_score, **common
        ),
        "user_token_for_other_app": issue_user_token(user, connection_id=-1, **common),
    }


def _key() -> str:
    return settings.SIMPLE_JWT["SIGNING_KEY"]


def issue_video_token(*, batch_id: int, user_id: int, video_ids: list[int], issued_at: int | None = None) -> str:
    """A video token for `batch_id` (ids in the order returned to the client)."""
    iat = int(time.time()) if issued_at is None else int(issued_at)
    payload = {
        "iat": iat,
        "nbf": iat + states.VIDEO_TOKEN_NBF_SECONDS,
        "jti": secrets.token_hex(16),
        "video_id_list": [int(v) for v in video_ids],
        "batch_id": int(batch_id),
        "user_id": int(user_id),
    }
    return jwt.encode(payload, _key(), algorithm="HS256")


def decode_video_token(raw: object) -> dict:
    """Verify signature and `nbf` (no leeway); raise `VideoTokenRejected` with the library's reason."""
    if not isinstance(raw, str):
        raise VideoTokenRejected("Invalid token type. Token must be a <class 'str'>")
    try:
        return jwt.decode(
            raw,
            _key(),
            algorithms=["HS256"],
            options={"verify_aud": False, "require": ["iat", "nbf"]},
            leeway=0,
        )
    except jwt.PyJWTError as exc:
        raise VideoTokenRejected(str(exc)) from exc


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def batch_claims(claims: dict) -> VideoTokenClaims | None:
    """The batch a decoded token names, or None when a claim is missing or of the wrong type (a token
    that is not a video token, e.g. a user token, names no batch)."""
    batch_id = _int(claims.get("batch_id"))
    user_id = _int(claims.get("user_id"))
    ids = claims.get("video_id_list")
    if batch_id is None or user_id is None or not isinstance(ids, list):
        return None
    video_ids = [_int(v) for v in ids]
    if any(v is None for v in video_ids):
        return None
    return VideoTokenClaims(batch_id=batch_id, user_id=user_id, video_ids=video_ids)

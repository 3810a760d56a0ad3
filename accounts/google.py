"""Verification of Google ID tokens (seed 000's `google_id_token`; videos.md §5.1).

Google's public keys are fetched and cached only when `GOOGLE_CLIENT_ID` is set. Tests (and offline
installs) inject their own key resolver with `use_key_resolver`, so they sign their own tokens and never
touch the network.
"""

from __future__ import annotations

from collections.abc import Callable

import jwt
from django.conf import settings

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v3/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})

KeyResolver = Callable[[str], object]
_resolver: KeyResolver | None = None
_jwks_client: jwt.PyJWKClient | None = None


class GoogleTokenInvalid(Exception):
    """The verifier refused the token; the message is the verifier's."""


class WrongIssuer(Exception):
    """A validly signed token that Google did not issue."""


def use_key_resolver(resolver: KeyResolver | None) -> None:
    """Resolve signing keys with `resolver(token) -> public key` instead of Google's JWKS (None restores it)."""
    global _resolver
    _resolver = resolver


def _google_key(token: str) -> object:
    global _jwks_client
    if _jwks_client is None:
        _jwks_client = jwt.PyJWKClient(GOOGLE_CERTS_URL, cache_keys=True, lifespan=3600, timeout=10)
    return _jwks_client.get_signing_key_from_jwt(token).key


def verify_google_id_token(token: str) -> dict:
    """The verified claims of a Google ID token for this platform's `GOOGLE_CLIENT_ID`."""
    client_id = settings.GOOGLE_CLIENT_ID
    if not client_id:
        raise GoogleTokenInvalid("Google sign-in is not configured")
    if not isinstance(token, str) or not token:
        raise GoogleTokenInvalid("Invalid google_id_token")
    try:
        key = (_resolver or _google_key)(token)
        claims = jwt.decode(
            token, key, algorithms=["RS256"], audience=client_id, leeway=10, options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWKClientError as exc:
        raise GoogleTokenInvalid(f"Could not fetch Google's public keys: {exc}") from exc
    except jwt.PyJWTError as exc:
        raise GoogleTokenInvalid(str(exc)) from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise WrongIssuer("Wrong token issuer")
    if not claims.get("sub"):
        raise GoogleTokenInvalid("Token has no subject")
    return claims

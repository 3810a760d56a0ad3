"""Throttles whose rates are read from settings at request time (so tests and operators can change
them), and the client address they count by. The other apps' throttles build on these."""

import hashlib
import ipaddress

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_ip(request) -> str | None:
    """The caller's address as the throttles see it (`NUM_PROXIES` decides whether X-Forwarded-For
    counts), normalised; None when there is no valid one."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address((ident or "").strip()))
    except ValueError:
        return None


class SettingRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is the setting named `rate_setting`, read at each request."""

    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ClientIPThrottle(SettingRateThrottle):
    """Counted per client address."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LabelerLoginThrottle(ClientIPThrottle):
    """Seed 000 login, per client IP (`LABELER_LOGIN_RATE`)."""

    scope = "labeler_login"
    rate_setting = "LABELER_LOGIN_RATE"


class LoginIPThrottle(ClientIPThrottle):
    scope = "login_ip"
    rate_setting = "LOGIN_RATE"


class LoginUsernameThrottle(SettingRateThrottle):
    """Per username, so one account cannot be guessed at from many addresses."""

    scope = "login_username"
    rate_setting = "LOGIN_RATE"

    def get_cache_key(self, request, view):
        username = request.query_params.get("username") if request.method == "GET" else None
        if username is None:
            data = request.data  # a malformed or oversize body answers here, in the view's family words
            username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        digest = hashlib.sha256(username.lower().encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class RegistrationThrottle(ClientIPThrottle):
    scope = "registration"
    rate_setting = "REGISTRATION_RATE"

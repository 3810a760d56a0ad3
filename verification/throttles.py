"""`/verify` throttles: anonymous callers per client address (`VERIFY_ANON_RATE`), callers with a
platform token per user (`VERIFY_USER_RATE`); polling a job has its own, wider budget. Rates are read
from settings at request time. Over the limit: 429 with a JSON `detail` and `Retry-After`."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

POLL_RATE = "600/min"


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        return self.rate_value()

    def rate_value(self) -> str:
        raise NotImplementedError

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class VerifyAnonThrottle(_Throttle):
    scope = "verify_anon"

    def rate_value(self) -> str:
        return settings.VERIFY_ANON_RATE

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class VerifyUserThrottle(_Throttle):
    scope = "verify_user"

    def rate_value(self) -> str:
        return settings.VERIFY_USER_RATE

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class VerifyPollThrottle(_Throttle):
    scope = "verify_poll"

    def rate_value(self) -> str:
        return POLL_RATE

    def get_cache_key(self, request, view):
        signed_in = request.user and request.user.is_authenticated
        ident = f"user-{request.user.pk}" if signed_in else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

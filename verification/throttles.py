"""`/verify` throttles: anonymous callers per client address (`VERIFY_ANON_RATE`), callers with a
platform token per user (`VERIFY_USER_RATE`); polling a job has its own, wider budget. Rates are read
from settings at request time (the accounts throttles' base). Over the limit: 429 with a JSON `detail`
and `Retry-After`."""

from __future__ import annotations

from accounts.throttles import SettingRateThrottle

POLL_RATE = "600/min"


class VerifyAnonThrottle(SettingRateThrottle):
    scope = "verify_anon"
    rate_setting = "VERIFY_ANON_RATE"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class VerifyUserThrottle(SettingRateThrottle):
    scope = "verify_user"
    rate_setting = "VERIFY_USER_RATE"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class VerifyPollThrottle(SettingRateThrottle):
    scope = "verify_poll"

    def get_rate(self):
        return POLL_RATE

    def get_cache_key(self, request, view):
        signed_in = request.user and request.user.is_authenticated
        ident = f"user-{request.user.pk}" if signed_in else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

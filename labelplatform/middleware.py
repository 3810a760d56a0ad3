import logging
import time

logger = logging.getLogger("labelplatform.access")


class AccessLogMiddleware:
    """One access line per request with the path only: query strings never reach a log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

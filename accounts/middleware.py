from django.conf import settings


class SessionIdHeaderMiddleware:
    """Seed 002 clients may send the session key they got from /user/login in a `Session-Id` header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session_id = request.META.get("HTTP_SESSION_ID")
        if session_id and settings.SESSION_COOKIE_NAME not in request.COOKIES:
            request.COOKIES[settings.SESSION_COOKIE_NAME] = session_id
        return self.get_response(request)

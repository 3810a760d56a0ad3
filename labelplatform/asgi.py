"""HTTP and websockets. Websocket routes come from each app's `routing.websocket_urlpatterns`, behind an
origin validator and the JWT middleware."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelplatform.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.websocket import JWTAuthMiddleware, OriginValidatorMiddleware  # noqa: E402
from labelplatform.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidatorMiddleware(JWTAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

"""Every app's websocket routes, in one list."""

from accounts.routing import websocket_urlpatterns as accounts_routes
from alerts.routing import websocket_urlpatterns as alerts_routes

websocket_urlpatterns = [*accounts_routes, *alerts_routes]

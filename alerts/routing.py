"""The alerts app's websocket routes."""

websocket_urlpatterns: list = []

"""The alerts app's websocket routes (behind the origin validator and JWT middleware of labelplatform.asgi)."""

from django.urls import path

from alerts.consumers import DeviceConsumer, WatcherConsumer

websocket_urlpatterns: list = [
    path("ws/alert/", WatcherConsumer.as_asgi()),
    path("ws/device/", DeviceConsumer.as_asgi()),
]

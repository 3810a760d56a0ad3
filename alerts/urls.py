"""The alerts app's HTTP routes (seed endpoints through `labelplatform.routes.seed_path`, then pages)."""

from django.urls import path

from alerts import pages, views
from labelplatform.routes import seed_path

app_name = "alerts"

urlpatterns: list = [
    *seed_path("api/v1/jetson/register/", views.JetsonRegisterView, "jetson-register"),
    *seed_path("api/v1/alert/", views.AlertView, "alert"),
    *seed_path("api/v1/log/", views.LogView, "log"),
    *seed_path("api/v1/safe/", views.SafeFrameView, "safe"),
    *seed_path("api/v1/truck/laststatus/", views.TruckLastStatusView, "truck-laststatus"),
    *seed_path("api/v1/truck/list/", views.TruckListView, "truck-list"),
]

# Pages (alerts-live): the monitor and the short-lived token its script uses.
urlpatterns += [
    path("alerts/monitor/", pages.monitor, name="monitor"),
    path("alerts/monitor/token/", pages.MonitorTokenView.as_view(), name="monitor-token"),
]

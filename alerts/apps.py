from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Truck alerts")

    def ready(self) -> None:
        from alerts import signals  # noqa: F401 - connects the file clean-up receivers

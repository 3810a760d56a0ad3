from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Truck alerts"

    def ready(self) -> None:
        from alerts import signals  # noqa: F401 - connects the file clean-up receivers

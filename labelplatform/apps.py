from django.apps import AppConfig


class LabelplatformConfig(AppConfig):
    """The project package as an app: its templates, static files and management commands."""

    name = "labelplatform"
    verbose_name = "Label platform"

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PlatformAdminSite(admin.AdminSite):
    """The managers' cockpit: staff (managers, researchers, superusers) who are active and not blacklisted."""

    site_header = _("Label platform administration")
    site_title = _("Label platform admin")
    index_title = _("Manage the platform")

    def login(self, request, extra_context=None):
        """Sign-in goes through allauth's page, whose failed-login rate limits protect staff passwords."""
        from allauth.account.decorators import secure_admin_login  # imports models: not at app loading

        return secure_admin_login(super().login)(request, extra_context=extra_context)

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and not getattr(user, "is_blacklisted", False))


class PlatformAdminConfig(AdminConfig):
    default_site = "labelplatform.admin_site.PlatformAdminSite"

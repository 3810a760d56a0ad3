from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class PlatformAdminSite(admin.AdminSite):
    """The managers' cockpit: staff (managers, researchers, superusers) who are active and not blacklisted."""

    site_header = "Label platform administration"
    site_title = "Label platform admin"
    index_title = "Manage the platform"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and not getattr(user, "is_blacklisted", False))


class PlatformAdminConfig(AdminConfig):
    default_site = "labelplatform.admin_site.PlatformAdminSite"

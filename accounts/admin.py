"""Users in the admin: managers and superusers only. Every action goes through accounts.services."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from accounts import services
from accounts.models import MANAGERS_GROUP, RESEARCHERS_GROUP, ClientType, Connection, Role, User

ROLE_GROUPS = (MANAGERS_GROUP, RESEARCHERS_GROUP)


def managers_only(request) -> bool:
    """Who reaches the platform's admin pages: active managers and superusers (every app's admin uses it)."""
    user = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "is_manager", False)))


def _role_action(role: str):
    def action(modeladmin, request, queryset: QuerySet[User]):
        for user in queryset:
            services.set_role(user=user, role=role)
        modeladmin.message_user(request, f"{queryset.count()} user(s) now have role {role}.", messages.SUCCESS)

    action.__name__ = f"make_{role}"
    action.short_description = f"Set role: {role}"
    return action


def _client_type_action(client_type: ClientType):
    def action(modeladmin, request, queryset: QuerySet[User]):
        for user in queryset:
            services.set_client_type(user=user, client_type=client_type.value)
        modeladmin.message_user(
            request, f"{queryset.count()} user(s) now have client type {client_type.label}.", messages.SUCCESS
        )

    name = "blacklist" if client_type == ClientType.BLACKLISTED else client_type.label
    action.__name__ = f"set_client_type_{client_type.value}".replace("-", "minus_")
    action.short_description = f"Set client type: {name}"
    return action


@admin.action(description="Send a password reset e-mail")
def send_password_reset(modeladmin, request, queryset: QuerySet[User]):
    sent = 0
    for user in queryset.exclude(email="").filter(is_active=True):
        if not user.has_usable_password():
            continue  # Django's reset form sends nothing to these; count them as skipped
        form = PasswordResetForm({"email": user.email})
        if form.is_valid():
            form.save(request=request, use_https=request.is_secure())
            sent += 1
    skipped = queryset.count() - sent
    modeladmin.message_user(request, f"Password reset e-mail sent to {sent} user(s).", messages.SUCCESS)
    if skipped:
        modeladmin.message_user(
            request,
            f"{skipped} user(s) have no e-mail or a password they cannot reset; use “Change password”.",
            messages.WARNING,
        )


@admin.action(description="Deactivate (refuse every request at once)")
def deactivate(modeladmin, request, queryset: QuerySet[User]):
    for user in queryset:
        services.set_active(user=user, active=False)
    modeladmin.message_user(request, f"{queryset.count()} user(s) deactivated.", messages.SUCCESS)


@admin.action(description="Reactivate")
def reactivate(modeladmin, request, queryset: QuerySet[User]):
    for user in queryset:
        services.set_active(user=user, active=True)
    modeladmin.message_user(request, f"{queryset.count()} user(s) reactivated.", messages.SUCCESS)


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    list_display = ("username", "role", "area", "client_type", "email", "is_active", "last_login", "date_joined")
    list_filter = ("role", "client_type", "is_active", "is_staff", "groups")
    search_fields = ("username", "email", "client_id", "area")
    ordering = ("id",)
    readonly_fields = ("role", "client_type", "is_staff", "last_login", "date_joined", "client_id")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "email", "area")}),
        ("Role", {"fields": ("role", "client_type", "client_id", "is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
    )
    actions = [
        *(_role_action(role) for role in Role.values),
        *(_client_type_action(ct) for ct in ClientType),
        deactivate,
        reactivate,
        send_password_reset,
    ]

    def has_module_permission(self, request):
        return managers_only(request)

    def has_view_permission(self, request, obj=None):
        return managers_only(request)

    def has_add_permission(self, request):
        return managers_only(request)

    def has_change_permission(self, request, obj=None):
        return managers_only(request)

    def has_delete_permission(self, request, obj=None):
        return managers_only(request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """ "Managers" and "Researchers" follow the role (set by the actions); other groups are free."""
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.exclude(name__in=ROLE_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_role_groups(user=form.instance)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")
        return fields


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Seed 000 logins, read-only, for audit."""

    list_display = ("id", "user", "client_type", "time")
    list_filter = ("client_type",)
    search_fields = ("user__username", "user__client_id")
    date_hierarchy = "time"
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return managers_only(request)

    def has_view_permission(self, request, obj=None):
        return managers_only(request)

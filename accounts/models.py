from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MANAGERS_GROUP = "Managers"
RESEARCHERS_GROUP = "Researchers"
ALERT_WATCHERS_GROUP = "Alert watchers"


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    EXPERT = "expert", _("Expert")
    RESEARCHER = "researcher", _("Researcher")
    CITIZEN = "citizen", _("Citizen")


class ClientType(models.IntegerChoices):
    """Seed 000's client types (videos.md §1.1)."""

    BLACKLISTED = -1, "blacklisted"
    RESEARCHER = 0, "researcher"
    EXPERT = 1, "expert labeler"
    AMATEUR = 2, "amateur"
    LAYPERSON = 3, "layperson"


STAFF_ROLES = frozenset({Role.MANAGER, Role.RESEARCHER})


class PlatformUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.MANAGER)
        user = super().create_superuser(username, email, password, **extra_fields)
        from accounts.services import sync_role_groups  # services import the models

        sync_role_groups(user=user)
        return user


class User(AbstractUser):
    """Every person on the platform (DESIGN.md, Identity). Permissions are read from these columns on
    every request, never from token claims."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CITIZEN, db_index=True)
    area = models.CharField(max_length=100, blank=True, default="", help_text="An expert's domain.")
    client_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    client_type = models.SmallIntegerField(choices=ClientType.choices, default=ClientType.LAYPERSON, db_index=True)

    objects = PlatformUserManager()

    class Meta:
        ordering = ["id"]

    @property
    def is_blacklisted(self) -> bool:
        return self.client_type == ClientType.BLACKLISTED

    @property
    def may_act(self) -> bool:
        """Active and not blacklisted: the condition for any authenticated request."""
        return self.is_active and not self.is_blacklisted

    @property
    def is_manager(self) -> bool:
        return self.may_act and (self.role == Role.MANAGER or self.is_superuser)

    @property
    def is_expert(self) -> bool:
        return self.may_act and self.role == Role.EXPERT


class Connection(models.Model):
    """One row per seed 000 login attempt (videos.md §2.2), refused blacklisted logins included."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="connections")
    client_type = models.SmallIntegerField(choices=ClientType.choices)
    time = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.user} at {self.time:%Y-%m-%d %H:%M:%S}"

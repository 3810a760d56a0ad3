"""Reads of users, scoped to what callers may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import ClientType, Role, User


def active_experts() -> QuerySet[User]:
    """Experts a manager can assign work to: active, not blacklisted, by id (seed 002 `/user/list`)."""
    return (
        User.objects.filter(role=Role.EXPERT, is_active=True).exclude(client_type=ClientType.BLACKLISTED).order_by("id")
    )


def active_managers() -> QuerySet[User]:
    """Who may act as a manager (the query form of `User.is_manager`): active, not blacklisted managers and
    superusers."""
    return User.objects.filter(Q(role=Role.MANAGER) | Q(is_superuser=True), is_active=True).exclude(
        client_type=ClientType.BLACKLISTED
    )


def username_taken(username: str) -> bool:
    return User.objects.filter(username=username).exists()


def email_taken(email: str, *, except_user: User | None = None) -> bool:
    users = User.objects.filter(email__iexact=email)
    if except_user is not None:
        users = users.exclude(pk=except_user.pk)
    return users.exists()


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()

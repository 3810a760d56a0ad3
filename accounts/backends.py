from django.contrib.auth.backends import ModelBackend

from accounts.models import Role


def user_may_authenticate(user) -> bool:
    """Active and not blacklisted (client type -1): the rule for passwords, sessions and JWTs."""
    return user is not None and user.is_active and not user.is_blacklisted


class PlatformBackend(ModelBackend):
    """Username/password sign-in; permissions follow the role read from the database.

    Managers hold every permission (the whole admin); researchers hold the videos app's permissions
    (the videos admin); everyone else only what their groups grant (e.g. "Alert watchers").
    """

    def user_can_authenticate(self, user) -> bool:
        return user_may_authenticate(user)

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        if not user_may_authenticate(user_obj):
            return False
        if user_obj.role == Role.MANAGER:
            return True
        if user_obj.role == Role.RESEARCHER and perm.startswith("videos."):
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        if not user_may_authenticate(user_obj):
            return False
        if user_obj.role == Role.MANAGER:
            return True
        if user_obj.role == Role.RESEARCHER and app_label == "videos":
            return True
        return super().has_module_perms(user_obj, app_label)

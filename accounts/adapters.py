"""django-allauth hooks: web sign-in with a username and password, or with Google."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Accounts with passwords are made by managers; labelers sign in anonymously or with Google."""
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def pre_social_login(self, request, sociallogin):
        """A Google account is the same user as seed 000's `google.<sub>` labeler."""
        if sociallogin.is_existing or sociallogin.account.provider != "google":
            return
        user = User.objects.filter(client_id=f"google.{sociallogin.account.uid}").first()
        if user is not None:
            sociallogin.connect(request, user)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        if sociallogin.account.provider == "google":
            user.client_id = f"google.{sociallogin.account.uid}"
        return user

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made with real hashing elsewhere; here speed matters (hundreds of users)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

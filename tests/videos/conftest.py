"""Fixtures of the videos tests: labelers of each client type with their seed 000 tokens."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from tests.accounts.factories import LabelerFactory
from videos.tokens import labeler_user_tokens


@pytest.fixture(autouse=True)
def _url_root(settings):
    settings.VIDEO_URL_ROOT = None
    settings.MEDIA_URL = "/media/"


def log_in(client_type: int = 3):
    """A labeler of `client_type` and its tokens, as /api/v1/login issues them."""
    user = LabelerFactory(client_type=None if client_type == 3 else client_type)
    connection = account_services.log_in_labeler(client_id=user.client_id)  # the login's own path
    return user, labeler_user_tokens(connection)


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def labeler(db):
    return log_in(3)


@pytest.fixture
def expert_labeler(db):
    return log_in(1)


@pytest.fixture
def amateur(db):
    return log_in(2)


@pytest.fixture
def research(db):
    return log_in(0)


@pytest.fixture
def blacklisted(db):
    return log_in(-1)

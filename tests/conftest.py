import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import google
from accounts.models import Role
from accounts.tokens import issue_user_token
from tests.accounts.factories import PASSWORD, UserFactory
from tests.processes import RUNNING


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report carries the tails of every server/worker log (the files are kept too)."""
    report = yield
    if report.failed:
        for process in list(RUNNING):
            report.sections.append((f"{process.name} (pid {process.pid}) log {process.log_path}", process.tail()))
    return report


@pytest.fixture(autouse=True)
def _fresh_state():
    """Throttle counters and injected Google keys never leak between tests."""
    cache.clear()
    yield
    cache.clear()
    google.use_key_resolver(None)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def manager(db):
    return UserFactory(username="boss", role=Role.MANAGER)


@pytest.fixture
def other_manager(db):
    return UserFactory(username="boss2", role=Role.MANAGER)


@pytest.fixture
def expert(db):
    return UserFactory(username="doc", role=Role.EXPERT, area="medicine")


@pytest.fixture
def researcher(db):
    return UserFactory(username="sci", role=Role.RESEARCHER)


@pytest.fixture
def citizen(db):
    return UserFactory(username="joe", role=Role.CITIZEN)


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_user_token(user)}")
    return client


@pytest.fixture
def manager_client(manager):
    return bearer_client(manager)


@pytest.fixture
def expert_client(expert):
    return bearer_client(expert)


@pytest.fixture
def citizen_client(citizen):
    return bearer_client(citizen)

"""The suite really runs on MariaDB, and seed 000's find-or-create login survives real concurrent writers."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections

from accounts import services
from accounts.models import Connection, User
from videos.models import LabelerProfile


@pytest.mark.django_db
def test_runs_on_mariadb_with_utf8mb4(evidence):
    assert connection.vendor == "mysql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION(), DATABASE(), @@character_set_database")
        version, database, charset = cursor.fetchone()
        # MariaDB < 11.1 calls it tx_isolation, MySQL 8 and newer MariaDB transaction_isolation.
        cursor.execute("SHOW SESSION VARIABLES WHERE Variable_name IN ('tx_isolation', 'transaction_isolation')")
        isolation = cursor.fetchone()[1]
    assert "mariadb" in version.lower(), f"expected MariaDB, the server says {version}"
    assert charset == "utf8mb4"
    assert isolation == "READ-COMMITTED"
    evidence(
        f"ran on MariaDB {version} (Django vendor {connection.vendor!r}, database {database}, "
        f"charset {charset}, isolation {isolation})"
    )


def _race_first_logins(client_id: str, workers: int) -> tuple[list[int], list[BaseException]]:
    barrier = threading.Barrier(workers)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def log_in():
        try:
            barrier.wait(timeout=30)
            login = services.log_in_labeler(client_id=client_id)
            with lock:
                results.append(login.user_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=log_in) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_logins_create_one_labeler(monkeypatch, evidence):
    """Eight threads, eight connections, one brand-new client id released at the same instant: the unique
    constraint and the IntegrityError fallback in `log_in_labeler` leave exactly one user. Rounds repeat
    (new client id each) until at least one thread really lost the insert race, so the fallback ran."""
    workers = 8
    collisions = 0
    real_new_labeler = services._new_labeler

    def counting_new_labeler(client_id):
        nonlocal collisions
        try:
            return real_new_labeler(client_id)
        except IntegrityError:
            collisions += 1
            raise

    monkeypatch.setattr(services, "_new_labeler", counting_new_labeler)
    rounds = 0
    while rounds < 5 and (rounds == 0 or collisions == 0):
        rounds += 1
        client_id = f"concurrent-客户端-🦊-{rounds}"
        results, errors = _race_first_logins(client_id, workers)

        assert not errors, errors
        assert len(results) == workers
        users = list(User.objects.filter(client_id=client_id))
        assert len(users) == 1
        assert set(results) == {users[0].pk}
        assert Connection.objects.filter(user=users[0]).count() == workers
        assert LabelerProfile.objects.filter(user=users[0]).count() == 1
    assert collisions > 0, "no thread ever lost the insert race; the IntegrityError path was not exercised"
    evidence(
        f"{workers} concurrent seed 000 logins with one new client_id on MariaDB -> 1 user, {workers} connections "
        f"({collisions} lost insert race(s) handled in {rounds} round(s))"
    )

"""Every documented endpoint, fed schema-generated valid and invalid input by schemathesis against a real
server process on MariaDB: no answer is a 5xx, and every answer's status is one the schema documents
or a 4xx (the seed endpoints keep their documented 200 answers for refusals)."""

from __future__ import annotations

import subprocess

import pytest
import requests

from accounts import services
from accounts.models import Role
from tests.processes import VENV_BIN, ManagedProcess, free_port, wait_healthy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fuzz_server(process_env, log_dir):
    """A server whose login and registration throttles stay out of the way of the generated requests."""
    env = dict(process_env, LABELER_LOGIN_RATE="100000/min", LOGIN_RATE="100000/min", REGISTRATION_RATE="100000/min")
    port = free_port()
    process = ManagedProcess(
        "uvicorn fuzz",
        [str(VENV_BIN / "uvicorn"), "labelplatform.asgi:application", "--port", str(port), "--lifespan", "off"],
        env=env,
        log_path=log_dir / "uvicorn-fuzz.log",
    ).start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(process, url)
        yield url, process
    finally:
        process.stop()


def test_no_endpoint_answers_a_server_error(fuzz_server, evidence):
    url, process = fuzz_server
    services.create_user(username="fuzzboss", password="fuzz-boss-2026", role=Role.MANAGER, validate=False)
    pair = requests.post(f"{url}/api/token/", json={"username": "fuzzboss", "password": "fuzz-boss-2026"}, timeout=10)
    assert pair.status_code == 200, pair.text
    result = subprocess.run(
        [
            str(VENV_BIN / "st"),
            "run",
            f"{url}/api/schema/",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "40",
            "--seed",
            "20261122",
            "--no-color",
            "-H",
            f"Authorization: Bearer {pair.json()['access']}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = [line for line in result.stdout.splitlines() if "generated" in line]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    evidence(f"schemathesis on MariaDB: {summary[-1].strip() if summary else result.stdout[-200:]}")

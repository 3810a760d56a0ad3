"""Fixtures of the verification service tests: generated clips under a temporary VERIFY_MEDIA_ROOT, a small
verifier trained on synthetic vectors (fast, independent of the committed model), uploads in a temporary
media folder. Service test modules opt in with `pytest.mark.usefixtures("verification_settings")`;
verif-ml's pure feature and classifier tests do not need it. Celery runs eagerly (no REDIS_URL), so a
synchronous POST /verify answers at once."""

from __future__ import annotations

import numpy as np
import pytest

from tests.verification.clips import make_set
from verification import classifier, features, services


@pytest.fixture(scope="session")
def clip_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify-media")
    make_set(root / "stream", audio=True)
    return root


@pytest.fixture(scope="session")
def small_verifier():
    rng = np.random.default_rng(7)
    n = len(features.FEATURE_NAMES)
    honest = rng.normal(0.0, 1.0, (120, n))
    tampered = rng.normal(2.5, 1.0, (80, n))
    matrix = np.vstack([honest, tampered])
    labels = np.array([0] * 120 + [1] * 80)
    ssim = np.clip(1.0 - labels * 0.4 + rng.normal(0, 0.02, len(labels)), 0, 1)
    groups = np.arange(len(labels)) % 10
    return classifier.train(matrix, labels, ssim, groups, folds=2, catboost_params={"iterations": 20})


@pytest.fixture
def verification_settings(settings, tmp_path, clip_root, small_verifier, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.VERIFY_MEDIA_ROOT = clip_root
    settings.VERIFY_ALLOWED_URL_HOSTS = []
    settings.VERIFY_ANON_RATE = "1000/min"
    settings.VERIFY_USER_RATE = "1000/min"
    settings.VERIFY_MAX_RENDITIONS = 10
    settings.VERIFY_MAX_FILE_BYTES = 50 * 1024 * 1024
    settings.VERIFY_SYNC_TIMEOUT = 30
    monkeypatch.setattr(services, "load_verifier", lambda: small_verifier)

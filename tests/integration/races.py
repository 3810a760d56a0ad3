"""Threads released together against the real database, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_together(workers: int, action: Callable[[int], object]) -> tuple[list, list[BaseException]]:
    """Run `action(i)` in `workers` threads released by one barrier; returns (results, errors)."""
    barrier = threading.Barrier(workers)
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int):
        try:
            barrier.wait(timeout=30)
            value = action(index)
            with lock:
                results.append(value)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors

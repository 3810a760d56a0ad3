"""Domain errors raised by services; each API family turns them into its seed's body (no Django import)."""

from __future__ import annotations


class DomainError(Exception):
    """A refused write or read. `code` is stable for callers; `field` names the offending input."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.__class__.__name__


class InvalidInput(DomainError):
    status = 400


class NotAllowed(DomainError):
    status = 403


class DoesNotExist(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class TooLarge(DomainError):
    status = 413

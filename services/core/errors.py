"""Domain errors carry a translation key and parameters; pages show `t(err.key, **err.params)`."""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A refusal or validation failure a user can read."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(self.key)


class NotFound(DomainError):
    key = "error.not_found"


class PermissionDenied(DomainError):
    key = "error.permission_denied"


class OutOfScope(PermissionDenied):
    """The record exists but belongs outside the actor's organisation subtree."""

    key = "error.out_of_scope"


class ValidationFailed(DomainError):
    key = "error.validation"


class Conflict(DomainError):
    """Someone else changed it, or a once-only rule already holds."""

    key = "error.conflict"


class StorageProblem(DomainError):
    """The database cannot be written (disk full, read-only, locked too long)."""

    key = "error.storage"

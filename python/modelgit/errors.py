"""Exceptions of the Python client.

The CLI gives every failure a stable ``code`` (USAGE, NOT_FOUND, INVALID, CONFLICT, ...), a message
for people and often a hint (the command that fixes it). The client raises one exception class
per code so callers can ``except NotFoundError`` without string matching, and keeps the code,
hint, exit status and any extra data the CLI attached. Failures found on the Python side (no CLI,
a checksum mismatch while loading, a truncated safetensors file) use the same classes and codes.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Type


class ModelgitError(Exception):
    """A failed modelgit operation. ``code`` is stable; ``message`` and ``hint`` are for people."""

    default_code = "MODELGIT"

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        hint: Optional[str] = None,
        data: Optional[Dict[str, Any]] = None,
        exit_code: Optional[int] = None,
        command: Optional[List[str]] = None,
        stderr: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.hint = hint
        self.data = data or {}
        self.exit_code = exit_code
        self.command = command
        self.stderr = stderr

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(ModelgitError):
    """Bad arguments or a name that breaks a naming rule (CLI exit 2)."""

    default_code = "USAGE"


class NotFoundError(ModelgitError):
    default_code = "NOT_FOUND"


class ValidationError(ModelgitError):
    """Metadata that breaks the schema; ``errors`` lists every location the CLI reported."""

    default_code = "INVALID"

    @property
    def errors(self) -> List[Dict[str, Any]]:
        return list(self.data.get("errors") or [])


class DirtyStateError(ModelgitError):
    default_code = "DIRTY"


class LockedError(ModelgitError):
    default_code = "LOCKED"


class GitError(ModelgitError):
    default_code = "GIT"


class HookRejectedError(ModelgitError):
    default_code = "HOOK_REJECTED"


class NotARegistryError(ModelgitError):
    default_code = "NOT_A_REGISTRY"


class ConflictError(ModelgitError):
    default_code = "CONFLICT"


class GateError(ModelgitError):
    default_code = "GATE_FAILED"


class PushError(ModelgitError):
    default_code = "PUSH_FAILED"


class ArtifactError(ModelgitError):
    """The artifact is missing, differs from its registered checksum, or is not a valid file."""

    default_code = "ARTIFACT"


class LoadPlanError(ModelgitError):
    """The load plan cannot be carried out (missing field, key mapping that does not fit, no torch)."""

    default_code = "LOAD_PLAN"


class InterruptedError_(ModelgitError):
    default_code = "INTERRUPTED"


class CLINotFoundError(ModelgitError):
    """No modelgit CLI could be found (MODELGIT_BIN, PATH, or this checkout's dist/cli/main.js)."""

    default_code = "CLI_NOT_FOUND"


_BY_CODE: Dict[str, Type[ModelgitError]] = {
    cls.default_code: cls
    for cls in (
        UsageError, NotFoundError, ValidationError, DirtyStateError, LockedError, GitError,
        HookRejectedError, NotARegistryError, ConflictError, GateError, PushError, ArtifactError,
        LoadPlanError, InterruptedError_, CLINotFoundError,
    )
}


def error_class(code: str) -> Type[ModelgitError]:
    """The exception class for a CLI error code (unknown codes give the base class)."""
    return _BY_CODE.get(code, ModelgitError)

"""modelgit: the Python client of the modelgit model registry (a registry kept in a git repository).

- ``Registry(path)``: register, record_test, best, list, show, compare, tag/untag/note, promote,
  cleanup, resolve, verify -- each one run of the modelgit CLI with ``--json``.
- ``RegisteredModel``: a base class for training code (the older ``EnhancedPilotModel``): it gets
  its id and artifact directory before saving, registers itself, records test results, and loads
  by id or as the best model.
- ``load_plan`` / ``load_for_recipe``: execute a model's load plan (checksums, safetensors, key
  mapping, the custom module, a strict state-dict load into torch).

Standard library only; torch (and transformers) are used when importable.
"""
from .cli import find_cli
from .errors import (
    ArtifactError, CLINotFoundError, ConflictError, GateError, LoadPlanError, ModelgitError, NotARegistryError,
    NotFoundError, UsageError, ValidationError,
)
from .registry import (
    Best, Check, Cleanup, Comparison, Model, Promotion, Registry, Resolution, TestResult, Verification, WriteResult,
    artifact_path_of,
)
from .timings import summarize_timings

__version__ = "0.1.0"

__all__ = [
    "Registry", "Model", "TestResult", "WriteResult", "Best", "Comparison", "Cleanup", "Promotion", "Resolution",
    "Verification", "Check", "artifact_path_of", "summarize_timings", "find_cli",
    "ModelgitError", "UsageError", "NotFoundError", "ValidationError", "ConflictError", "GateError", "ArtifactError",
    "LoadPlanError", "NotARegistryError", "CLINotFoundError",
    "RegisteredModel", "model_for_run", "load_plan", "load_for_recipe", "read_state_dict", "read_safetensors", "save_safetensors",
]


def __getattr__(name):  # the model base class and the loader import on first use (fast `import modelgit`)
    if name in ("RegisteredModel",):
        from .model import RegisteredModel
        return RegisteredModel
    if name in ("model_for_run",):
        from .scheduler import model_for_run
        return model_for_run
    if name in ("load_plan", "load_for_recipe", "read_state_dict"):
        from . import loader
        return getattr(loader, name)
    if name in ("read_safetensors", "save_safetensors"):
        from . import safetensors
        return getattr(safetensors, name)
    raise AttributeError(f"module 'modelgit' has no attribute {name!r}")

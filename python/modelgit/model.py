"""``RegisteredModel``: a base class for training code, in the spirit of the older registry's
``EnhancedPilotModel``.

Subclasses implement only ``_save_model_impl`` (write the weights at ``self.model_path``) and
``_load_model_impl`` (read them back into ``self.model``). The base does the rest the way the CLI
wants it: the model gets its timestamp id and artifact path *before* saving (so the weights land
where the metadata says), training info and time are recorded, ``save_model()`` is one
``register`` commit that carries the checksums and any results added before it, and every later
``add_test_result``/``add_tags``/``set_notes`` is one commit of its own. ``load(id)`` and
``load_best(algo, dataset)`` bring a registered model back.
"""
from __future__ import annotations

import os
import shutil
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .errors import ArtifactError, ConflictError, UsageError
from .registry import Best, Registry, TestResult, iso_seconds
from .timings import summarize_timings

_ID_RETRIES = 5


def _as_registry(registry: Union[Registry, str, "os.PathLike[str]"]) -> Registry:
    return registry if isinstance(registry, Registry) else Registry(registry)


class RegisteredModel:
    """Subclass it; set ``algorithm`` (and optionally ``name``, the id prefix)."""

    algorithm: str = ""
    name: Optional[str] = None

    def __init__(self, registry: Union[Registry, str, "os.PathLike[str]"], algorithm: Optional[str] = None,
                 name: Optional[str] = None) -> None:
        self.registry = _as_registry(registry)
        self.algorithm = algorithm or type(self).algorithm
        if not self.algorithm:
            raise UsageError(f"{type(self).__name__}: set the class attribute `algorithm` or pass algorithm=...")
        self.name = name or type(self).name or self.algorithm
        self.model_id = self.registry.new_model_id(self.algorithm, self.name)
        self.model_path = self.registry.artifact_dir(self.algorithm, self.model_id)
        self.registered = False
        self.model: Any = None
        self.best: Optional[Best] = None
        self._training_started: Optional[float] = None
        self._pending_tests: List[Dict[str, Any]] = []
        self.metadata: Dict[str, Any] = {
            "model_id": self.model_id, "algorithm": self.algorithm, "model_path": self.model_path,
            "training": None, "testing": [], "tags": [], "notes": "",
        }

    # ----- what subclasses implement -----
    def _save_model_impl(self) -> None:
        """Write the weights at ``self.model_path`` (a file or a directory; its parent exists)."""
        raise NotImplementedError

    def _load_model_impl(self) -> None:
        """Read the weights at ``self.model_path`` into ``self.model``."""
        raise NotImplementedError

    # ----- before saving -----
    def set_training_info(self, dataset: str, hyperparams: Optional[Mapping[str, Any]] = None,
                          num_queries: Optional[int] = None) -> None:
        """Call when training starts: the time from here to ``save_model()`` is the training time."""
        self._require_unregistered("set_training_info")
        self.metadata["training"] = {
            "enabled": True, "dataset": dataset, "hyperparams": dict(hyperparams or {}),
            "trained_at": iso_seconds(), "training_time": None,
            **({"num_queries": int(num_queries)} if num_queries is not None else {}),
        }
        self._training_started = time.monotonic()

    # ----- any time -----
    def add_test_result(self, dataset: str, num_queries: Optional[int] = None,
                        performance: Optional[Mapping[str, float]] = None, *,
                        times: Optional[Sequence[float]] = None, notes: Optional[str] = None) -> TestResult:
        """A test result: ``performance`` (metric -> number) or per-query ``times`` in seconds.

        Before ``save_model()`` it is kept and goes into the register commit; after, it is one commit.
        """
        if (performance is None) == (times is None):
            raise UsageError("add_test_result: give performance={metric: number} or times=[seconds per query]")
        if times is not None:
            times = list(times)  # a generator is read once
        if self.registered:
            res = self.registry.record_test(self.model_id, dataset, times=times, metrics=performance,
                                            num_queries=num_queries, notes=notes).result
            assert res is not None
            self.metadata.setdefault("testing", []).append(
                {k: v for k, v in vars(res).items() if v is not None})
            return res
        try:
            perf = summarize_timings(times) if times is not None else dict(performance or {})
        except (ValueError, TypeError) as e:
            raise UsageError(f"add_test_result times: {e}") from None
        if times is not None and num_queries is None:
            num_queries = len(times)
        entry: Dict[str, Any] = {"dataset": dataset, "tested_at": iso_seconds(), "performance": perf}
        if num_queries is not None:
            entry["num_queries"] = int(num_queries)
        if notes is not None:
            entry["notes"] = notes
        self._pending_tests.append(entry)
        self.metadata["testing"].append(entry)
        return TestResult.from_json(entry)

    def add_tags(self, *tags: str) -> None:
        if self.registered:
            self.registry.tag(self.model_id, *tags)
        for t in tags:
            if t not in self.metadata["tags"]:
                self.metadata["tags"].append(t)

    def set_notes(self, notes: str) -> None:
        if self.registered:
            self.registry.note(self.model_id, notes)
        self.metadata["notes"] = notes

    # ----- saving -----
    def save_model(self) -> str:
        """Write the weights and register the model (one commit). Returns the id.

        A model that is already registered is not saved again (its weights are registered with
        their checksums and never change); results added since were committed when added.
        """
        if self.registered:
            return self.model_id
        os.makedirs(os.path.dirname(self.model_path), exist_ok=True)
        if os.path.exists(self.model_path):
            raise ConflictError(f"{self.model_path} already exists; an artifact is never overwritten")
        try:
            self._save_model_impl()
            if not os.path.exists(self.model_path):
                raise ArtifactError(f"{type(self).__name__}._save_model_impl wrote nothing at {self.model_path}",
                                    hint="write the weights at self.model_path (a file or a directory)")
            training = self.metadata.get("training")
            if training and training.get("training_time") is None and self._training_started is not None:
                training["training_time"] = round(time.monotonic() - self._training_started, 3)
            self._register_with_retries()
        except BaseException:
            # Nothing registered: the artifact written for this fresh id is removed again.
            _remove(self.model_path)
            raise
        self.registered = True
        self._pending_tests = []
        return self.model_id

    def _register_with_retries(self) -> None:
        for attempt in range(_ID_RETRIES):
            fields: Dict[str, Any] = {}
            training = self.metadata.get("training")
            if training:
                fields["training"] = {k: v for k, v in training.items() if v is not None}
            if self._pending_tests:
                fields["testing"] = self._pending_tests
            try:
                self.registry.register(
                    self.algorithm, id=self.model_id, model_path=os.path.relpath(self.model_path, self.registry.root)
                    if _inside(self.model_path, self.registry.root) else self.model_path,
                    checksum=True, tags=self.metadata["tags"], notes=self.metadata["notes"] or None, fields=fields)
                return
            except ConflictError:
                if attempt == _ID_RETRIES - 1:
                    raise
                # Another job took this id since it was chosen: take the next free one, move the weights.
                new_id = self.registry.new_model_id(self.algorithm, self.name)
                new_path = self.registry.artifact_dir(self.algorithm, new_id)
                os.makedirs(os.path.dirname(new_path), exist_ok=True)
                os.rename(self.model_path, new_path)
                self.model_id, self.model_path = new_id, new_path
                self.metadata.update(model_id=new_id, model_path=new_path)

    def _require_unregistered(self, what: str) -> None:
        if self.registered:
            raise UsageError(f"{what}: {self.model_id} is registered; its training info is immutable")

    # ----- loading -----
    @classmethod
    def load(cls, registry: Union[Registry, str, "os.PathLike[str]"], model_id: str) -> "RegisteredModel":
        """The registered model ``model_id``, weights read by ``_load_model_impl``.

        Your ``__init__`` is not called (the id and path come from the registry): build
        ``self.model`` in ``_load_model_impl``.
        """
        reg = _as_registry(registry)
        m = reg.show(model_id)
        inst = cls.__new__(cls)
        inst.registry = reg
        inst.algorithm = m.algorithm
        inst.name = type(inst).name or m.algorithm
        inst.model_id = m.model_id
        inst.model_path = m.artifact_path or m.model_path or ""
        inst.registered = True
        inst.model = None
        inst.best = None
        inst._training_started = None
        inst._pending_tests = []
        inst.metadata = dict(m.metadata)
        inst.metadata["model_path"] = inst.model_path
        if m.artifact_path is None:
            raise ArtifactError(f"model {model_id} has no local artifact (model_path: {m.model_path!r})")
        if not os.path.exists(m.artifact_path):
            raise ArtifactError(f"model {model_id}: the artifact is not where model_path says: {m.artifact_path} does not exist")
        inst._load_model_impl()
        return inst

    @classmethod
    def load_best(cls, registry: Union[Registry, str, "os.PathLike[str]"], algo: Optional[str] = None,
                  dataset: Optional[str] = None, metric: Optional[str] = None) -> "RegisteredModel":
        """The best model of ``algo`` on ``dataset`` (NotFoundError when none has a result there)."""
        reg = _as_registry(registry)
        best = reg.best(algo or cls.algorithm, dataset, metric)
        inst = cls.load(reg, best.model_id)
        inst.best = best
        return inst


def _inside(path: str, root: str) -> bool:
    rel = os.path.relpath(path, root)
    return not (rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel))


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
    except OSError:
        pass

"""``Registry``: the modelgit CLI's ``--json`` behind Python functions.

Each method is one CLI run in the registry directory and returns a small dataclass (the CLI's
JSON is kept in ``raw``; fields the CLI adds later are never lost). Paths come back absolute:
``artifact_path`` is ``model_path`` read the way the CLI reads it (relative to the registry
root, absolute, or ``file://``; ``None`` for a remote URI or no path). Write commands get a fresh
operation id (``--operation-id``) when the CLI knows that flag, so a retried call is applied once.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import unquote, urlparse

from .cli import CLI
from .errors import ModelgitError, UsageError
from .timings import summarize_timings

DEFAULT_ARTIFACTS = "artifacts/{algorithm}/{model_id}"
_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
_PARAM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_NUMERIC = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")

# Failures worth one more try with the same operation id (the remote kept moving past the CLI's own
# deadline, another writer held the lock too long), and the waits before each retry, in seconds.
_RETRIED_CODES = frozenset({"PUSH_FAILED", "LOCKED"})
_RETRY_WAITS = (1.0, 3.0)

# Per CLI executable and command: does it take --operation-id? Learned on first use.
_OPERATION_ID_SUPPORT: Dict[Tuple[Tuple[str, ...], str], bool] = {}


def artifact_path_of(model_path: Optional[str], root: str) -> Optional[str]:
    """model_path -> an absolute local path, as the CLI resolves it; None when remote or absent."""
    if not model_path:
        return None
    m = _URI.match(model_path)
    if m:
        if m.group(1).lower() != "file":
            return None
        return os.path.abspath(unquote(urlparse(model_path).path))
    if os.path.isabs(model_path):
        return os.path.normpath(model_path)
    return os.path.normpath(os.path.join(root, model_path))


@dataclass
class TestResult:
    dataset: str
    performance: Dict[str, float]
    tested_at: Optional[str] = None
    num_queries: Optional[int] = None
    notes: Optional[str] = None

    __test__ = False  # not a pytest test class

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "TestResult":
        return cls(dataset=d.get("dataset", ""), performance=dict(d.get("performance") or {}),
                   tested_at=d.get("tested_at"), num_queries=d.get("num_queries"), notes=d.get("notes"))


@dataclass
class Model:
    """One model's metadata. ``stages``/``history`` are filled by ``Registry.show``."""

    model_id: str
    algorithm: str
    created_at: Optional[str]
    model_path: Optional[str]
    artifact_path: Optional[str]
    training: Optional[Dict[str, Any]]
    testing: List[TestResult]
    tags: List[str]
    notes: Optional[str]
    metadata: Dict[str, Any]
    stages: List[Any] = field(default_factory=list)
    history: List[Dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, meta: Mapping[str, Any], root: str) -> "Model":
        return cls(
            model_id=meta["model_id"], algorithm=meta.get("algorithm", ""), created_at=meta.get("created_at"),
            model_path=meta.get("model_path"), artifact_path=artifact_path_of(meta.get("model_path"), root),
            training=meta.get("training"), testing=[TestResult.from_json(t) for t in meta.get("testing") or []],
            tags=list(meta.get("tags") or []), notes=meta.get("notes"), metadata=dict(meta),
        )

    @property
    def hyperparams(self) -> Dict[str, Any]:
        return dict((self.training or {}).get("hyperparams") or {})

    def results_on(self, dataset: str) -> List[TestResult]:
        return [t for t in self.testing if t.dataset == dataset]


@dataclass
class WriteResult:
    """register/test/tag/untag/note: the model, its metadata file (absolute) and the commit."""

    model_id: str
    path: str
    commit: Optional[str]
    artifact_path: Optional[str] = None
    result: Optional[TestResult] = None
    raw: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Best:
    model_id: str
    algorithm: str
    dataset: Optional[str]
    metric: str
    direction: str
    value: float
    model_path: Optional[str]
    artifact_path: Optional[str]
    candidates: int
    commit: Optional[str]
    tag: Optional[str]
    raw: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    metric_columns: List[Dict[str, Any]]
    rows: List[Dict[str, Any]]
    raw: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Cleanup:
    removed: List[str]
    kept: List[str]
    protected: List[str]
    commit: Optional[str]
    tag: Optional[str]
    raw: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Promotion:
    model_id: str
    algorithm: str
    stage: str
    previous: Optional[str]
    commit: Optional[str]
    tag: Optional[str]
    branch: Optional[str]
    raw: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Resolution:
    model_id: str
    model_path: Optional[str]
    artifact_path: Optional[str]
    role: Optional[str]
    loading_strategy: Optional[Dict[str, Any]]
    stage: Optional[str]
    reason: str
    plan: Optional[Dict[str, Any]]
    raw: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Verification:
    ok: bool
    model_id: str
    checks: List[Check]
    raw: Dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> List[Check]:
        return [c for c in self.checks if not c.ok]


def _number_text(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"metric {name}: {value!r} is not a number")
    if not math.isfinite(value):
        raise UsageError(f"metric {name}: {value!r} is not a finite number")
    return str(value) if isinstance(value, int) else repr(float(value))


def _param_flag(key: str, value: Any) -> Optional[str]:
    """`k=v` when --param would give back exactly this value; None when it must go in a file."""
    if not _PARAM_KEY.match(key):
        return None
    if value is None:
        return f"{key}=null"
    if isinstance(value, bool):
        return f"{key}={'true' if value else 'false'}"
    if isinstance(value, int):
        return f"{key}={value}"
    if isinstance(value, float):
        return f"{key}={value!r}" if math.isfinite(value) else None
    if isinstance(value, str):
        if value != value.strip() or value in ("true", "false", "null") or _NUMERIC.match(value) or value == "":
            return None
        return f"{key}={value}"
    return None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_seconds(t: Optional[datetime] = None) -> str:
    return (t or _utc_now()).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Registry:
    """A modelgit registry (a git repository with modelgit.yaml), driven through the CLI."""

    def __init__(self, path: "str | os.PathLike[str]" = ".", *, cli: Optional[str] = None, push: bool = False,
                 artifacts: str = DEFAULT_ARTIFACTS) -> None:
        start = Path(path).resolve()
        root = start
        for candidate in [start, *start.parents]:
            if (candidate / "modelgit.yaml").is_file():
                root = candidate
                break
        self.root = str(root)
        self.push = push
        self.artifacts = artifacts
        self._cli = CLI(self.root, cli)

    # ----- setup -----
    @classmethod
    def init(cls, path: "str | os.PathLike[str]", *, cli: Optional[str] = None, **kwargs: Any) -> "Registry":
        """``modelgit init``: create (or adopt) a registry at ``path``."""
        Path(path).mkdir(parents=True, exist_ok=True)
        CLI(str(Path(path).resolve()), cli).run(["init", "--json"])
        return cls(path, cli=cli, **kwargs)

    def __repr__(self) -> str:
        return f"Registry({self.root!r})"

    # ----- plumbing -----
    def run(self, *args: str, stdin: Optional[str] = None, answer_on_failure: bool = False) -> Any:
        """One CLI run with --json; the parsed answer."""
        return self._cli.run([*args, "--json"], stdin=stdin, answer_on_failure=answer_on_failure)

    def _write(self, command: str, *args: str) -> Any:
        argv = [command, *args]
        if self.push:
            argv.append("--push")
        key = (tuple(self._cli.prefix), command)
        if _OPERATION_ID_SUPPORT.get(key, True):
            # One identity per call, kept across its retries: a retry after a lost push race or a busy
            # lock that finds the operation already committed answers with that commit (no duplicate).
            token = uuid.uuid4().hex
            for attempt in range(len(_RETRY_WAITS) + 1):
                try:
                    answer = self.run(*argv, "--operation-id", token)
                    _OPERATION_ID_SUPPORT[key] = True
                    return answer
                except UsageError as e:
                    if "--operation-id" not in e.message or "unknown option" not in e.message:
                        raise
                    _OPERATION_ID_SUPPORT[key] = False  # an older CLI: commander refused before doing anything
                    break
                except ModelgitError as e:
                    if e.code not in _RETRIED_CODES or attempt == len(_RETRY_WAITS):
                        raise
                    time.sleep(_RETRY_WAITS[attempt])
        return self.run(*argv)

    def _abs(self, rel: Optional[str]) -> str:
        return os.path.normpath(os.path.join(self.root, rel)) if rel else self.root

    def _write_result(self, d: Mapping[str, Any]) -> WriteResult:
        return WriteResult(model_id=d["model_id"], path=self._abs(d.get("path")), commit=d.get("commit"),
                           result=TestResult.from_json(d["result"]) if isinstance(d.get("result"), dict) else None,
                           raw=dict(d))

    @property
    def models_dir(self) -> str:
        try:
            text = (Path(self.root) / "modelgit.yaml").read_text(encoding="utf-8")
        except OSError:
            return "models"
        m = re.search(r"^models_dir:\s*['\"]?([^'\"#\s]+)", text, re.M)
        return m.group(1) if m else "models"

    def artifact_dir(self, algorithm: str, model_id: str) -> str:
        """Where a model's artifact goes (absolute), from the ``artifacts`` template."""
        rel = self.artifacts.format(algorithm=algorithm, model_id=model_id)
        return os.path.normpath(os.path.join(self.root, rel))

    def new_model_id(self, algorithm: str, name: Optional[str] = None, now: Optional[datetime] = None) -> str:
        """A fresh ``<name>_<YYYYMMDD>_<HHMMSS>`` (UTC) id: ``_2``, ``_3``... if taken here."""
        prefix = name or algorithm
        for label, value in (("algorithm", algorithm), ("name", prefix)):
            if not _SAFE_NAME.match(value):
                raise UsageError(f"{label} {value!r} is not a safe name: lower-case letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit, at most 128 characters")
        base = f"{prefix}_{(now or _utc_now()).astimezone(timezone.utc).strftime('%Y%m%d_%H%M%S')}"
        n = 1
        while True:
            candidate = base if n == 1 else f"{base}_{n}"
            taken = (Path(self.root) / self.models_dir / algorithm / f"{candidate}.json").exists() or os.path.exists(
                self.artifact_dir(algorithm, candidate))
            if not taken:
                return candidate
            n += 1

    # ----- writes -----
    def register(self, algo: str, *, name: Optional[str] = None, id: Optional[str] = None,
                 dataset: Optional[str] = None, hyperparams: Optional[Mapping[str, Any]] = None,
                 num_queries: Optional[int] = None, training_time: Optional[float] = None,
                 model_path: Optional[str] = None, checksum: Optional[bool] = None, parent: Optional[str] = None,
                 tags: Iterable[str] = (), notes: Optional[str] = None,
                 fields: Optional[Mapping[str, Any]] = None) -> WriteResult:
        """Register a new model (one commit). ``fields``: any other metadata (loading_strategy, testing...).

        ``checksum`` defaults to True when ``model_path`` is a local path that exists.
        """
        args: List[str] = ["--algo", algo]
        for flag, value in (("--name", name), ("--id", id), ("--dataset", dataset), ("--parent", parent),
                            ("--notes", notes)):
            if value is not None:
                args += [flag, str(value)]
        if num_queries is not None:
            args += ["--num-queries", str(int(num_queries))]
        if training_time is not None:
            args += ["--training-time", _number_text("training_time", training_time)]
        extra: Dict[str, Any] = json.loads(json.dumps(dict(fields or {})))  # a deep copy that is JSON
        file_params: Dict[str, Any] = {}
        for k, v in (hyperparams or {}).items():
            flag = _param_flag(str(k), v)
            if flag is None:
                file_params[str(k)] = v
            else:
                args += ["--param", flag]
        if file_params:
            training = extra.setdefault("training", {}) or {}
            extra["training"] = training
            training.setdefault("enabled", True)
            training.setdefault("trained_at", iso_seconds())
            training["hyperparams"] = {**(training.get("hyperparams") or {}), **file_params}
        if model_path is not None:
            model_path = os.fspath(model_path)
            args += ["--model-path", model_path]
            if checksum is None:
                local = artifact_path_of(model_path, self.root)
                checksum = local is not None and os.path.exists(local)
        if checksum:
            args.append("--checksum")
        for t in tags:
            args += ["--tag", t]
        if extra:
            # Metadata beyond the flags goes in a --from file (a JSON file the CLI reads; removed after).
            fd, tmp = tempfile.mkstemp(prefix="modelgit-register-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(extra, f)
                args += ["--from", os.path.relpath(tmp, self.root)]
                d = self._write("register", *args)
            finally:
                os.unlink(tmp)
        else:
            d = self._write("register", *args)
        res = self._write_result(d)
        # Without model_path the CLI records one from modelgit.yaml's artifacts layout and answers with it.
        res.artifact_path = artifact_path_of(model_path if model_path is not None else d.get("model_path"), self.root)
        return res

    def record_test(self, id: str, dataset: str, *, times: Optional[Sequence[float]] = None,
                    metrics: Optional[Mapping[str, float]] = None, num_queries: Optional[int] = None,
                    notes: Optional[str] = None) -> WriteResult:
        """Append a test result: per-query ``times`` (seconds) or a ``metrics`` map. One commit."""
        if (times is None) == (metrics is None):
            raise UsageError("record_test: give either times=[seconds per query] or metrics={name: number}")
        args = [id, "--dataset", dataset]
        if times is not None:
            times = list(times)  # a generator is read once
            try:
                perf = summarize_timings(times)
            except (ValueError, TypeError) as e:
                raise UsageError(f"record_test times: {e}") from None
            if num_queries is None:
                num_queries = len(times)
        else:
            perf = dict(metrics or {})
            if not perf:
                raise UsageError("record_test: metrics is empty")
        for k, v in perf.items():
            args += ["--metric", f"{k}={_number_text(k, v)}"]
        if num_queries is not None:
            args += ["--num-queries", str(int(num_queries))]
        if notes is not None:
            args += ["--notes", notes]
        return self._write_result(self._write("test", *args))

    def tag(self, id: str, *tags: str) -> WriteResult:
        return self._write_result(self._write("tag", id, *tags))

    def untag(self, id: str, *tags: str) -> WriteResult:
        return self._write_result(self._write("untag", id, *tags))

    def note(self, id: str, text: str, *, append: bool = False) -> WriteResult:
        return self._write_result(self._write("note", id, text, *(["--append"] if append else [])))

    def restore(self, id: str) -> WriteResult:
        return self._write_result(self._write("restore", id))

    def promote(self, id: str, stage: str, *, force: bool = False, branch: bool = False) -> Promotion:
        d = self._write("promote", id, "--stage", stage, *(["--force"] if force else []), *(["--branch"] if branch else []))
        return self._promotion(d)

    def demote(self, id: str, stage: str, *, branch: bool = False) -> Promotion:
        return self._promotion(self._write("demote", id, "--stage", stage, *(["--branch"] if branch else [])))

    @staticmethod
    def _promotion(d: Mapping[str, Any]) -> Promotion:
        return Promotion(model_id=d["model_id"], algorithm=d.get("algorithm", ""), stage=d.get("stage", ""),
                         previous=d.get("previous"), commit=d.get("commit"), tag=d.get("tag"), branch=d.get("branch"),
                         raw=dict(d))

    def cleanup(self, algo: str, keep: int, *, metric: Optional[str] = None, dataset: Optional[str] = None,
                direction: Optional[str] = None, dry_run: bool = False, delete_artifacts: bool = False) -> Cleanup:
        args = ["--algo", algo, "--keep", str(int(keep))]
        for flag, value in (("--metric", metric), ("--dataset", dataset), ("--direction", direction)):
            if value is not None:
                args += [flag, value]
        if dry_run:
            args.append("--dry-run")
        if delete_artifacts:
            args.append("--delete-artifacts")
        d = self.run("cleanup", *args) if dry_run else self._write("cleanup", *args)
        return Cleanup(removed=list(d.get("removed") or []), kept=list(d.get("kept") or []),
                       protected=list(d.get("protected") or []), commit=d.get("commit"), tag=d.get("tag"), raw=dict(d))

    def import_(self, path: "str | os.PathLike[str]", *, algo: Optional[str] = None, id: Optional[str] = None,
                single_commit: bool = False) -> Any:
        """``modelgit import``: an older registry or a checkpoint directory with metadata.json."""
        args = [os.path.abspath(os.fspath(path))]
        if algo is not None:
            args += ["--algo", algo]
        if id is not None:
            args += ["--id", id]
        if single_commit:
            args.append("--single-commit")
        return self._write("import", *args)

    # ----- reads -----
    def list(self, algo: Optional[str] = None, *, dataset: Optional[str] = None, tags: Iterable[str] = (),
             sort: Optional[str] = None, on: Optional[str] = None, direction: Optional[str] = None,
             limit: Optional[int] = None) -> List[Model]:
        args: List[str] = []
        for flag, value in (("--algo", algo), ("--dataset", dataset), ("--sort", sort), ("--on", on),
                            ("--direction", direction)):
            if value is not None:
                args += [flag, value]
        for t in tags:
            args += ["--tag", t]
        if limit is not None:
            args += ["--limit", str(int(limit))]
        return [Model.from_json(m, self.root) for m in self.run("list", *args)]

    def show(self, id: str) -> Model:
        d = self.run("show", id)
        m = Model.from_json(d["metadata"], self.root)
        m.stages = list(d.get("stages") or [])
        m.history = list(d.get("history") or [])
        return m

    def best(self, algo: str, dataset: Optional[str] = None, metric: Optional[str] = None, *,
             direction: Optional[str] = None, aggregate: Optional[str] = None, at: Optional[str] = None,
             record: bool = False) -> Best:
        """The best model (raises NotFoundError when no model has a result to rank)."""
        args = ["--algo", algo]
        for flag, value in (("--dataset", dataset), ("--metric", metric), ("--direction", direction),
                            ("--aggregate", aggregate), ("--at", at)):
            if value is not None:
                args += [flag, value]
        if record:
            args.append("--record")
        d = self._write("best", *args) if record else self.run("best", *args)
        return Best(model_id=d["model_id"], algorithm=d.get("algorithm", algo), dataset=d.get("dataset"),
                    metric=d.get("metric", ""), direction=d.get("direction", ""), value=d.get("value"),
                    model_path=d.get("model_path"), artifact_path=artifact_path_of(d.get("model_path"), self.root),
                    candidates=d.get("candidates", 0), commit=d.get("commit"), tag=d.get("tag"), raw=dict(d))

    def compare(self, ids: Sequence[str], *, dataset: Optional[str] = None, metrics: Iterable[str] = (),
                only_changed: bool = False, keep: Iterable[str] = (), drop: Iterable[str] = ()) -> Comparison:
        """``modelgit compare``; ``only_changed``, ``keep`` and ``drop`` (globs on a row's name, e.g.
        ``"lr"``, ``"p95_*"``, ``"total_time on job"``) filter the comparison as the CLI's flags do."""
        if isinstance(ids, str):
            ids = [ids]
        args = [*ids]
        if dataset is not None:
            args += ["--dataset", dataset]
        for m in metrics:
            args += ["--metric", m]
        if only_changed:
            args.append("--only-changed")
        for flag, patterns in (("--keep", keep), ("--drop", drop)):
            for pattern in [patterns] if isinstance(patterns, str) else patterns:
                args += [flag, pattern]
        d = self.run("compare", *args)
        return Comparison(metric_columns=list(d.get("metric_columns") or []), rows=list(d.get("rows") or []), raw=dict(d))

    def history(self, id: Optional[str] = None, *, algo: Optional[str] = None, action: Optional[str] = None,
                limit: Optional[int] = None) -> List[Dict[str, Any]]:
        args = [id] if id else []
        for flag, value in (("--algo", algo), ("--action", action)):
            if value is not None:
                args += [flag, value]
        if limit is not None:
            args += ["--limit", str(int(limit))]
        return list(self.run("history", *args))

    def plan(self, id: str) -> Dict[str, Any]:
        """The model's load plan (``modelgit plan ID --json``)."""
        return dict(self.run("plan", id))

    def resolve(self, recipe: str, role: Optional[str] = None, stage: Optional[str] = None, *,
                dataset: Optional[str] = None, metric: Optional[str] = None, plan: bool = True) -> Resolution:
        args = ["--for", recipe]
        for flag, value in (("--role", role), ("--stage", stage), ("--dataset", dataset), ("--metric", metric)):
            if value is not None:
                args += [flag, value]
        if not plan:
            args.append("--no-plan")
        d = self.run("resolve", *args)
        return Resolution(model_id=d["model_id"], model_path=d.get("model_path"),
                          artifact_path=artifact_path_of(d.get("model_path"), self.root), role=d.get("role"),
                          loading_strategy=d.get("loading_strategy"), stage=d.get("stage"), reason=d.get("reason", ""),
                          plan=d.get("plan"), raw=dict(d))

    def verify(self, id: str) -> Verification:
        """Artifact checks (never raises for a failed check: look at ``ok`` and ``failed``)."""
        # verify exits 1 when a check fails, and still prints its answer on stdout.
        return self._verification(self.run("verify", id, answer_on_failure=True))

    @staticmethod
    def _verification(d: Mapping[str, Any]) -> Verification:
        return Verification(ok=bool(d.get("ok")), model_id=d.get("model_id", ""),
                            checks=[Check(c.get("name", ""), bool(c.get("ok")), c.get("detail", "")) for c in d.get("checks") or []],
                            raw=dict(d))

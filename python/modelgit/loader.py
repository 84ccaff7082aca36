"""Executing a load plan: from a registered checkpoint to a model with its weights loaded.

The CLI decides *what* to load (``modelgit plan ID`` / ``modelgit resolve --for RECIPE``: files,
class, module, key mapping); this module does it, in this order, and stops at the first problem:

1. every file of the artifact is checked against its registered sha256 and size -- the bytes that
   are then parsed and imported are the very bytes that were hashed (a mismatch refuses to load);
2. the ``.safetensors`` weights are read by this package's own reader, and the plan's
   ``state_dict_mapping`` is applied (and must agree with the plan's ``key_mapping``);
3. ``custom_mtp``: the custom module file is executed as a fresh module, ``model_class_name`` is
   built from ``config.json`` (through the plan's ``class.config_class_name`` when it names one,
   else the class's ``config_class`` -- the transformers convention -- and registered with ``transformers_class`` when transformers is
   importable); ``huggingface``: transformers' ``transformers_class`` (a clear error without it);
4. ``load_state_dict(strict=True)``: a missing or unexpected key is an error, never a skip.

torch is needed for steps 3-4 (``read_state_dict`` gives the verified, mapped tensors without it).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import sys
import types
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from .errors import ArtifactError, LoadPlanError
from .keymap import is_identity, key_mapping
from .registry import Registry, artifact_path_of
from .safetensors import MAX_HEADER_BYTES, parse_header, parse_safetensors, torch_available

CustomLoader = Callable[[Mapping[str, Any], Dict[str, Any], Optional[Dict[str, Any]]], Any]


class _VerifiedFiles:
    """Bytes of the plan's files, each checked against the registered checksum before use."""

    def __init__(self, plan: Mapping[str, Any], metadata: Optional[Mapping[str, Any]], root: Optional[str],
                 require_checksum: bool) -> None:
        self.plan = plan
        self.directory = plan["directory"]
        self.expected: Dict[str, Tuple[Optional[str], Optional[int]]] = {}
        art = (metadata or {}).get("artifact") or {}
        model_path = (metadata or {}).get("model_path") or plan.get("model_path")
        # Where the artifact is: model_path read against the registry root; without a root, the
        # plan's directory (the model directory, or the directory holding the model file).
        local = artifact_path_of(model_path, root) if root else None
        if local is None:
            local = self.directory if art.get("files") else os.path.join(self.directory, os.path.basename(model_path or ""))
        if art.get("sha256") is not None or art.get("size_bytes") is not None:
            self.expected[os.path.normpath(local)] = (art.get("sha256"), art.get("size_bytes"))
        for f in art.get("files") or []:
            self.expected[os.path.normpath(os.path.join(local, f["path"]))] = (f.get("sha256"), f.get("size_bytes"))
        if not self.expected:
            msg = (f"model {plan.get('model_id')}: no checksum is registered for its artifact, so the bytes "
                   "cannot be proven to be the registered ones")
            if require_checksum:
                raise ArtifactError(msg, hint="register it with --checksum (RegisteredModel.save_model does)")
            warnings.warn(msg, stacklevel=3)
        self.cache: Dict[str, bytes] = {}

    def check_all(self, load: List[str]) -> None:
        """Reads the files to load (kept in memory) and streams the rest; raises on any mismatch."""
        bad: List[str] = []
        for path in sorted(set(self.expected) | {os.path.normpath(p) for p in load}):
            want = self.expected.get(path)
            keep = path in {os.path.normpath(p) for p in load}
            try:
                if keep:
                    with open(path, "rb") as f:
                        data = f.read()
                    self.cache[path] = data
                    digest, size = hashlib.sha256(data).hexdigest(), len(data)
                else:
                    h = hashlib.sha256()
                    size = 0
                    with open(path, "rb") as f:
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                            size += len(chunk)
                    digest = h.hexdigest()
            except OSError as e:
                bad.append(f"{path}: {e.strerror}")
                continue
            if want is None:
                if self.expected:
                    # Checksums are registered, but not for this file: it was not there when the
                    # model was registered, so nothing proves it is the model's.
                    bad.append(f"{path}: not among the registered files (no checksum to prove it)")
                continue
            sha, want_size = want
            if want_size is not None and size != want_size:
                bad.append(f"{path}: {size} bytes, registered {want_size}")
            elif sha is not None and digest != sha:
                bad.append(f"{path}: sha256 {digest}, registered {sha}")
        if bad:
            raise ArtifactError(
                f"model {self.plan.get('model_id')}: refusing to load: the artifact differs from the registered one:\n  "
                + "\n  ".join(bad),
                hint="restore the registered files, or register the new ones as a new model")

    def bytes_of(self, path: str) -> bytes:
        return self.cache[os.path.normpath(path)]


def _metadata_for(plan: Mapping[str, Any], registry: Optional[Registry],
                  metadata: Optional[Mapping[str, Any]]) -> Tuple[Optional[Mapping[str, Any]], Optional[str]]:
    if metadata is not None:
        return metadata, registry.root if registry else None
    if registry is not None:
        return registry.show(plan["model_id"]).metadata, registry.root
    return None, None


def _check_tensor_info(w: Mapping[str, Any], header: Any) -> None:
    """The file's tensors must be the dtypes and shapes the plan recorded (its ``tensor_info``)."""
    planned = w.get("tensor_info")
    if planned is None:
        return
    found = {n: {"dtype": t.dtype, "shape": list(t.shape)} for n, t in header.tensors.items()}
    if found != {n: {"dtype": i["dtype"], "shape": list(i["shape"])} for n, i in planned.items()}:
        differ = sorted(n for n in set(found) | set(planned) if found.get(n) != planned.get(n))
        raise LoadPlanError(f"{w['file']}: dtype or shape differs from the plan's tensor_info for {', '.join(differ[:5])}"
                            f"{' …' if len(differ) > 5 else ''} (the file changed since the plan was made?)",
                            hint="build the plan again: modelgit plan ID")


def _weights(plan: Mapping[str, Any], files: _VerifiedFiles, framework: str) -> Dict[str, Any]:
    """The mapped state dict over every weight file of the plan."""
    mapping = plan.get("state_dict_mapping")
    state: Dict[str, Any] = {}
    origin: Dict[str, str] = {}
    for w in plan.get("weights") or []:
        path = os.path.join(files.directory, w["file"])
        if w.get("format") == "safetensors":
            data = files.bytes_of(path)
            _check_tensor_info(w, parse_header(path, bytes(data[:8 + MAX_HEADER_BYTES]), len(data)))
            tensors = parse_safetensors(data, path, framework)
        elif w.get("format") == "pytorch":
            try:
                import torch
            except ImportError:
                raise LoadPlanError(f"{w['file']} is a pickled PyTorch file; reading it needs torch") from None
            import io
            tensors = torch.load(io.BytesIO(files.bytes_of(path)), map_location="cpu")
        else:
            raise LoadPlanError(f"{w['file']}: weights in format {w.get('format')!r} cannot be read here")
        pairs = key_mapping(tensors.keys(), mapping, where=f"{w['file']}: ")
        planned = w.get("key_mapping")
        if planned is not None and dict(pairs) != planned:
            raise LoadPlanError(f"{w['file']}: the tensors do not match the plan's key_mapping (the file changed "
                                "since the plan was made?)", hint="build the plan again: modelgit plan ID")
        for frm, to in pairs:
            if to in state:
                raise LoadPlanError(f"{origin[to]} and {w['file']}: both give the key {to!r}")
            state[to] = tensors[frm]
            origin[to] = w["file"]
    return state


def read_state_dict(plan: Mapping[str, Any], registry: Optional[Registry] = None, *,
                    metadata: Optional[Mapping[str, Any]] = None, require_checksum: bool = False,
                    framework: str = "auto") -> Dict[str, Any]:
    """The verified, key-mapped weights of a plan (torch tensors, or RawTensor without torch)."""
    files = _prepare(plan, registry, metadata, require_checksum)
    return _weights(plan, files, framework)


def _prepare(plan: Mapping[str, Any], registry: Optional[Registry], metadata: Optional[Mapping[str, Any]],
             require_checksum: bool) -> _VerifiedFiles:
    if not isinstance(plan, Mapping) or "model_id" not in plan or "directory" not in plan:
        raise LoadPlanError("not a load plan: give the JSON of `modelgit plan ID --json` or resolve's `plan`")
    if plan.get("location") != "local":
        raise LoadPlanError(f"model {plan['model_id']}: the artifact is remote ({plan.get('directory')}); fetch it "
                            "and register or import the local copy")
    meta, root = _metadata_for(plan, registry, metadata)
    files = _VerifiedFiles(plan, meta, root, require_checksum)
    load = [os.path.join(plan["directory"], w["file"]) for w in plan.get("weights") or []]
    if plan.get("module"):
        load.append(plan["module"]["path"])
    load += [f["path"] for f in plan.get("files") or [] if f.get("purpose") == "config"]
    files.check_all(load)
    return files


def _import_module(plan: Mapping[str, Any], files: _VerifiedFiles) -> types.ModuleType:
    path = plan["module"]["path"]
    name = f"modelgit_loaded_{plan['model_id'].replace('.', '_').replace('-', '_')}_{hashlib.sha1(path.encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise LoadPlanError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))  # the module may import its siblings in the model directory
    sys.modules[name] = module  # dataclasses and typing look the module up while it runs
    try:
        exec(compile(files.bytes_of(path), path, "exec"), module.__dict__)  # the verified bytes, not a re-read
    except Exception as e:
        sys.modules.pop(name, None)
        raise LoadPlanError(f"importing {path} failed: {type(e).__name__}: {e}") from e
    finally:
        try:
            sys.path.remove(os.path.dirname(path))
        except ValueError:
            pass
    return module


def _config(plan: Mapping[str, Any], files: _VerifiedFiles) -> Optional[Dict[str, Any]]:
    for f in plan.get("files") or []:
        if f.get("purpose") == "config":
            try:
                value = json.loads(files.bytes_of(f["path"]).decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise LoadPlanError(f"{f['path']} is not valid JSON: {e}") from None
            if not isinstance(value, dict):
                raise LoadPlanError(f"{f['path']} must hold a JSON object")
            return value
    return None


def _transformers() -> Optional[types.ModuleType]:
    try:
        return importlib.import_module("transformers")
    except ImportError:
        return None


def _build_custom(plan: Mapping[str, Any], files: _VerifiedFiles, config: Optional[Dict[str, Any]]) -> Any:
    if not plan.get("module") or not (plan.get("class") or {}).get("model_class_name"):
        raise LoadPlanError(f"model {plan['model_id']}: a custom loader needs loading_strategy.custom_module_file and model_class_name")
    module = _import_module(plan, files)
    cls_name = plan["class"]["model_class_name"]
    cls = getattr(module, cls_name, None)
    if cls is None:
        raise LoadPlanError(f"{plan['module']['path']} defines no {cls_name} (loading_strategy.model_class_name)")
    # The config class: named by the plan (class.config_class_name) when it says, else the class's
    # own `config_class` (the transformers convention), else none (the class gets the dict).
    cfg_name = (plan.get("class") or {}).get("config_class_name")
    if cfg_name:
        config_class = getattr(module, cfg_name, None)
        if config_class is None:
            raise LoadPlanError(f"{plan['module']['path']} defines no {cfg_name} (the plan's config_class_name)")
    else:
        config_class = getattr(cls, "config_class", None)
    cfg: Any = dict(config or {})
    if config_class is not None:
        from_dict = getattr(config_class, "from_dict", None)
        cfg = from_dict(dict(config or {})) if callable(from_dict) else config_class(**(config or {}))
    tf = _transformers()
    auto_name = (plan.get("class") or {}).get("transformers_class")
    if tf is not None and auto_name and config_class is not None and hasattr(tf, auto_name):
        # Registration step: make transformers' Auto class build this class for this config type.
        try:
            model_type = getattr(config_class, "model_type", None)
            if model_type:
                tf.AutoConfig.register(model_type, config_class)
            getattr(tf, auto_name).register(config_class, cls)
        except ValueError:
            pass  # already registered in this process
    try:
        return cls(cfg)
    except Exception as e:
        raise LoadPlanError(f"building {cls_name} from config.json failed: {type(e).__name__}: {e}") from e


def _build_huggingface(plan: Mapping[str, Any], state_needed: bool) -> Any:
    tf = _transformers()
    cls_name = (plan.get("class") or {}).get("transformers_class")
    if tf is None:
        raise LoadPlanError(f"model {plan['model_id']} is a huggingface checkpoint ({cls_name}): loading it needs the "
                            "transformers package, which is not importable here", hint="pip install transformers")
    cls = getattr(tf, cls_name or "", None)
    if cls is None:
        raise LoadPlanError(f"transformers has no class {cls_name!r} (loading_strategy.transformers_class)")
    if not state_needed:
        return cls.from_pretrained(plan["directory"])
    return cls.from_config(tf.AutoConfig.from_pretrained(plan["directory"]))


def load_plan(plan: Mapping[str, Any], registry: Optional[Registry] = None, *,
              metadata: Optional[Mapping[str, Any]] = None, require_checksum: bool = False,
              device: Optional[str] = None, loaders: Optional[Mapping[str, CustomLoader]] = None) -> Any:
    """Carries out a load plan and returns the model (a ``torch.nn.Module`` with its weights).

    ``registry`` (or ``metadata``) supplies the registered checksums. ``loaders`` adds Python
    loaders for a team's own loader_type: ``fn(plan, state_dict, config) -> model``.
    """
    files = _prepare(plan, registry, metadata, require_checksum)
    loader_type = plan.get("loader_type")
    custom = (loaders or {}).get(loader_type or "")
    if loader_type == "huggingface" and custom is None:
        remaps = not is_identity(plan.get("state_dict_mapping"))
        model = _build_huggingface(plan, remaps)
        if remaps:
            _load_state(model, _weights(plan, files, "torch"), plan)
        return model.to(device) if device else model
    if loader_type not in ("custom_mtp",) and custom is None:
        raise LoadPlanError(f"model {plan['model_id']}: no Python loader for loader_type {loader_type!r}",
                            hint="pass loaders={'%s': fn(plan, state_dict, config)} to load_plan" % loader_type)
    if custom is None and not torch_available():
        raise LoadPlanError(f"model {plan['model_id']}: building {(plan.get('class') or {}).get('model_class_name')} needs "
                            "torch, which is not importable here", hint="install torch, or use read_state_dict(plan) for the tensors alone")
    state = _weights(plan, files, "auto")
    config = _config(plan, files)
    if custom is not None:
        return custom(plan, state, config)
    model = _build_custom(plan, files, config)
    _load_state(model, state, plan)
    return model.to(device) if device else model


def _load_state(model: Any, state: Dict[str, Any], plan: Mapping[str, Any]) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise LoadPlanError(f"model {plan['model_id']}: the weights do not fit {type(model).__name__} "
                            f"(strict load): {str(e).strip()}") from None


def load_for_recipe(registry: Registry, recipe: str, role: Optional[str] = None, stage: Optional[str] = None, *,
                    dataset: Optional[str] = None, metric: Optional[str] = None, **kwargs: Any) -> Any:
    """The model ``modelgit resolve --for RECIPE`` chooses, loaded by its plan (see load_plan).

    The returned module carries ``modelgit_model_id`` and ``modelgit_resolution``.
    """
    res = registry.resolve(recipe, role, stage, dataset=dataset, metric=metric)
    if not res.plan:
        raise LoadPlanError(f"resolve chose {res.model_id} but gave no load plan")
    model = load_plan(res.plan, registry, **kwargs)
    try:
        model.modelgit_model_id = res.model_id
        model.modelgit_resolution = res
    except AttributeError:
        pass
    return model

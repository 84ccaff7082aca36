"""The scheduler's choice of model, as the older ``get_mscn_preset_scheduler`` made it.

A run either loads the model it is told to (``--load-model ID``), or, when training is off,
loads the best registered model on the run's dataset, or else starts a new model with its
training info set. Written once here so every algorithm's scheduler makes the same choice.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Tuple, Type, TypeVar, Union

from .errors import NotFoundError
from .model import RegisteredModel, _as_registry
from .registry import Registry

M = TypeVar("M", bound=RegisteredModel)


def model_for_run(cls: Type[M], registry: Union[Registry, str], *, dataset: str, enable_training: bool,
                  load_model_id: Optional[str] = None, hyperparams: Optional[Mapping[str, Any]] = None,
                  num_queries: Optional[int] = None, metric: Optional[str] = None,
                  new: Optional[Callable[[], M]] = None, log: Callable[[str], None] = print) -> Tuple[M, str]:
    """(model, how): how is "loaded" (the id given), "best" (best on ``dataset``), "new" (training
    on), or "untrained" (training off and nothing registered to load). ``new`` builds a fresh
    model (default ``cls(registry)``)."""
    reg = _as_registry(registry)
    make = new or (lambda: cls(reg))
    if load_model_id:
        model = cls.load(reg, load_model_id)
        log(f"loaded {model.model_id}")
        return model, "loaded"  # type: ignore[return-value]
    if not enable_training:
        try:
            model = cls.load_best(reg, cls.algorithm or None, dataset, metric)
        except NotFoundError:
            log(f"no tested {cls.algorithm} model on {dataset}; starting an untrained model")
            return make(), "untrained"
        assert model.best is not None
        log(f"loaded the best {model.algorithm} model on {dataset}: {model.model_id} "
            f"({model.best.metric}={model.best.value})")
        return model, "best"  # type: ignore[return-value]
    model = make()
    model.set_training_info(dataset=dataset, hyperparams=hyperparams or {}, num_queries=num_queries)
    return model, "new"

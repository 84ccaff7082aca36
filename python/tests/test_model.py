"""RegisteredModel and model_for_run: id and artifact path before saving, one write per operation."""
import json
import os

import pytest
from conftest import commit_count, repo_state

import modelgit
from modelgit import RegisteredModel, model_for_run


class TinyModel(RegisteredModel):
    algorithm = "mscn"

    def __init__(self, registry, weights=None):
        super().__init__(registry)
        self.model = weights

    def _save_model_impl(self):
        with open(self.model_path, "w") as f:
            json.dump(self.model, f)

    def _load_model_impl(self):
        with open(self.model_path) as f:
            self.model = json.load(f)


class SavesNothing(TinyModel):
    def _save_model_impl(self):
        pass


def test_save_registers_once_with_results_added_before(registry):
    m = TinyModel(registry, [1.5, -2.0])
    assert m.model_path == registry.artifact_dir("mscn", m.model_id)
    assert m.model_path.startswith(os.path.join(registry.root, "artifacts", "mscn"))
    m.set_training_info("production", {"num_epoch": 100, "learning_rate": 0.001}, num_queries=500)
    m.add_test_result("production", times=[0.2, 0.4])
    m.add_tags("experiment")
    n = commit_count(registry)
    assert m.save_model() == m.model_id
    assert commit_count(registry) == n + 1  # register carries training, the result and the tag
    assert m.save_model() == m.model_id and commit_count(registry) == n + 1  # already registered: no new write
    shown = registry.show(m.model_id)
    assert shown.artifact_path == m.model_path and shown.tags == ["experiment"]
    assert shown.training["dataset"] == "production" and shown.training["num_queries"] == 500
    assert shown.training["training_time"] >= 0 and shown.hyperparams["num_epoch"] == 100
    assert [(t.dataset, t.performance["total_time"], t.num_queries) for t in shown.testing] == [("production", 0.6, 2)]
    assert shown.metadata["artifact"]["sha256"]  # checksummed at registration
    assert registry.verify(m.model_id).ok

    m.add_test_result("stats_tiny", performance={"total_time": 1.25}, num_queries=80)
    assert commit_count(registry) == n + 2
    assert [t.dataset for t in registry.show(m.model_id).testing] == ["production", "stats_tiny"]

    loaded = TinyModel.load(registry, m.model_id)
    assert loaded.model == [1.5, -2.0] and loaded.registered and loaded.model_path == m.model_path
    best = TinyModel.load_best(registry, dataset="production")
    assert best.model_id == m.model_id and best.best.value == 0.6


def test_a_failed_save_leaves_no_commit_and_no_artifact(registry):
    before = repo_state(registry)
    m = SavesNothing(registry, [1])
    with pytest.raises(modelgit.ArtifactError) as e:
        m.save_model()
    assert "wrote nothing" in e.value.message
    bad = TinyModel(registry, [1])
    bad.add_tags("not a tag")
    with pytest.raises(modelgit.UsageError):
        bad.save_model()
    assert not os.path.exists(bad.model_path) and not bad.registered
    assert repo_state(registry) == before


def test_an_id_taken_meanwhile_moves_the_weights_to_the_next_id(registry):
    m = TinyModel(registry, [3])
    registry.register("mscn", id=m.model_id)  # another job took the id after m chose it
    first, first_path = m.model_id, m.model_path
    m.save_model()
    assert m.model_id != first and m.model_id.startswith("mscn_")  # the next free id (a later second, or _2)
    assert os.path.isfile(m.model_path) and m.model_path.endswith(m.model_id) and not os.path.exists(first_path)
    assert registry.show(m.model_id).artifact_path == m.model_path


def test_model_for_run_choices(registry):
    model, how = model_for_run(TinyModel, registry, dataset="production", enable_training=False, log=lambda s: None)
    assert how == "untrained" and not model.registered
    model, how = model_for_run(TinyModel, registry, dataset="production", enable_training=True,
                               hyperparams={"num_epoch": 5}, new=lambda: TinyModel(registry, [7]), log=lambda s: None)
    assert how == "new" and model.metadata["training"]["hyperparams"] == {"num_epoch": 5}
    model.add_test_result("production", performance={"total_time": 2.0})
    model.save_model()
    again, how = model_for_run(TinyModel, registry, dataset="production", enable_training=False, log=lambda s: None)
    assert how == "best" and again.model_id == model.model_id and again.model == [7]
    by_id, how = model_for_run(TinyModel, registry, dataset="imdb", enable_training=False,
                               load_model_id=model.model_id, log=lambda s: None)
    assert how == "loaded" and by_id.model_id == model.model_id
    with pytest.raises(modelgit.NotFoundError):
        TinyModel.load(registry, "mscn_nope")

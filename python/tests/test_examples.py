"""The seed's scenarios, run as users run them (subprocesses of the example scripts) on a temp
registry, checked by their effects in the registry: ids, results per dataset, the best, the tag,
cleanup, and the model loaded automatically when training is off."""
import json
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES, PYTHON_DIR, commit_count

PILOT = EXAMPLES / "pilotscope"


def run(script, *args, registry):
    env = {**os.environ, "MODELGIT_REGISTRY": registry.root, "PYTHONPATH": str(PYTHON_DIR)}
    p = subprocess.run([sys.executable, str(script), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def unified(registry, *args):
    return json.loads(run(PILOT / "unified_test.py", *args, "--json", registry=registry).strip().splitlines()[-1])


def test_pilotscope_scenarios(registry):
    # Scenario 1/3: several trainings on production; each is one register commit with its result.
    n = commit_count(registry)
    runs = [unified(registry, "--algo", "mscn", "--db", "production", "--epochs", str(e)) for e in (20, 60, 150)]
    assert [r["how"] for r in runs] == ["new"] * 3 and len({r["model_id"] for r in runs}) == 3
    assert commit_count(registry) == n + 3
    for r in runs:
        m = registry.show(r["model_id"])
        assert os.path.isfile(r["artifact_path"]) and m.artifact_path == r["artifact_path"]
        assert [t.dataset for t in m.testing] == ["production"] and m.training["dataset"] == "production"
    totals = [r["performance"]["total_time"] for r in runs]
    assert totals == sorted(totals, reverse=True)  # more epochs, a better model (the example is deterministic)

    # Scenario 2: train/test apart: the first model tested on two more datasets, by id, no training.
    first = runs[0]["model_id"]
    for db in ("stats_tiny", "imdb"):
        r = unified(registry, "--algo", "mscn", "--db", db, "--no-training", "--load-model", first)
        assert (r["how"], r["model_id"]) == ("loaded", first)
    assert [t.dataset for t in registry.show(first).testing] == ["production", "stats_tiny", "imdb"]

    # Scenario 3: the best on production, tagged; training off loads it by itself.
    best = registry.best("mscn", "production")
    assert best.model_id == runs[2]["model_id"]
    out = run(PILOT / "model_manager.py", "tag", best.model_id, "best", "production", registry=registry)
    assert out.strip() and registry.show(best.model_id).tags == ["best", "production"]
    auto = unified(registry, "--algo", "mscn", "--db", "production", "--no-training")
    assert (auto["how"], auto["model_id"]) == ("best", best.model_id)
    assert len(registry.show(best.model_id).results_on("production")) == 2

    # Scenario 1's cleanup: keep the top 1 on production; the tagged best is protected anyway.
    out = run(PILOT / "model_manager.py", "cleanup", "--algo", "mscn", "--keep", "1", "--dataset", "production",
              registry=registry)
    assert "removed 1" in out
    left = sorted(m.model_id for m in registry.list("mscn"))
    assert left == sorted([runs[1]["model_id"], runs[2]["model_id"]])


def test_llm_checkpoint_example(registry):
    pytest.importorskip("torch")
    out = json.loads(run(EXAMPLES / "llm_checkpoint" / "run.py", "--registry", registry.root, "--json",
                         registry=registry).strip().splitlines()[-1])
    assert out["model_id"] == "mtp-ref-v1" and out["class"] == "GPTMTPForCausalLM" and out["logits_shape"] == [3, 1, 4, 16]
    m = registry.show("mtp-ref-v1")
    assert m.metadata["role"] == "reference_model" and m.metadata["artifact"]["files"]
    assert registry.verify("mtp-ref-v1").ok

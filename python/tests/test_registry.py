"""Registry over the real CLI: answers as dataclasses, errors as exceptions with the CLI's code."""
import json
import os
import subprocess

import pytest
from conftest import commit_count, git, repo_state

import modelgit
from modelgit import cli as cli_mod
from modelgit.cli import last_json_object
from modelgit.registry import _OPERATION_ID_SUPPORT
from modelgit import UsageError


def test_register_test_best_show_list(registry, tmp_path):
    art = os.path.join(registry.root, "artifacts", "mscn", "m1.json")
    os.makedirs(os.path.dirname(art))
    with open(art, "w") as f:
        f.write('{"weights": [1, 2]}')
    w = registry.register("mscn", id="mscn_one", dataset="production", hyperparams={"num_epoch": 100, "lr": 0.001},
                          model_path="artifacts/mscn/m1.json", tags=["experiment"], notes="first")
    assert w.model_id == "mscn_one"
    assert w.path == os.path.join(registry.root, "models", "mscn", "mscn_one.json") and os.path.isfile(w.path)
    assert w.artifact_path == art and w.commit
    t = registry.record_test("mscn_one", "production", times=[0.5, 0.1, 0.3, 1.5])
    assert t.result.performance == {"total_time": 2.4, "average_time": 0.6, "median_time": 0.4, "p95_time": 1.35}
    assert t.result.num_queries == 4
    registry.register("mscn", id="mscn_two")
    registry.record_test("mscn_two", "production", metrics={"total_time": 3.0}, num_queries=10)

    best = registry.best("mscn", "production")
    assert (best.model_id, best.metric, best.direction, best.value, best.candidates) == ("mscn_one", "total_time", "min", 2.4, 2)
    assert best.artifact_path == art

    m = registry.show("mscn_one")
    assert m.artifact_path == art and m.model_path == "artifacts/mscn/m1.json"
    assert m.hyperparams == {"num_epoch": 100, "lr": 0.001} and m.tags == ["experiment"] and m.notes == "first"
    assert [r.dataset for r in m.testing] == ["production"] and m.history and m.history[0]["action"] == "test"
    assert "artifact" in m.metadata  # an existing local model_path is checksummed by default
    assert registry.verify("mscn_one").ok

    ids = [x.model_id for x in registry.list("mscn")]
    assert sorted(ids) == ["mscn_one", "mscn_two"]
    assert [x.model_id for x in registry.list("mscn", sort="total_time", on="production")] == ["mscn_one", "mscn_two"]


def test_times_give_the_same_numbers_as_the_cli_times_file(registry, tmp_path):
    times = [0.1, 0.2, 0.7, 0.05, 1.25, 0.3333, 2.0]
    registry.register("lero", id="lero_a")
    registry.register("lero", id="lero_b")
    ours = registry.record_test("lero_a", "stats", times=times).result
    f = tmp_path / "times.txt"
    f.write_text("\n".join(str(t) for t in times) + "\n")
    # (a path relative to the registry: the CLI joins --times onto its cwd, an absolute path included)
    out = subprocess.run([*cli_mod.find_cli(), "test", "lero_b", "--dataset", "stats", "--times",
                          os.path.relpath(f, registry.root), "--json"],
                         cwd=registry.root, check=True, stdout=subprocess.PIPE).stdout
    theirs = json.loads(out)["result"]
    assert ours.performance == theirs["performance"] and ours.num_queries == theirs["num_queries"]


def test_hyperparams_the_flags_cannot_carry_go_through_a_file(registry):
    hp = {"num_epoch": 3, "ratio": 0.25, "flag": True, "none": None, "name": "adam", "code": "001",
          "layers": [64, 32], "opt": {"beta": 0.9}, "empty": "", "yes": "true"}
    w = registry.register("mscn", dataset="production", hyperparams=hp)
    assert registry.show(w.model_id).hyperparams == hp


def test_writes_are_one_commit_each_and_labels_notes_work(registry):
    registry.register("mscn", id="m_a")
    n = commit_count(registry)
    registry.tag("m_a", "best", "production")
    registry.untag("m_a", "production")
    registry.note("m_a", "line one")
    registry.note("m_a", "line two", append=True)
    assert commit_count(registry) == n + 4
    m = registry.show("m_a")
    assert m.tags == ["best"] and m.notes == "line one\nline two"
    assert any(v is not None for v in _OPERATION_ID_SUPPORT.values())  # learned whether the CLI takes --operation-id


def test_compare_promote_cleanup(registry):
    for i, t in enumerate([3.0, 1.0, 2.0]):
        registry.register("mscn", id=f"m_{i}")
        registry.record_test(f"m_{i}", "production", metrics={"total_time": t})
    c = registry.compare(["m_0", "m_1"])
    assert [r["model_id"] for r in c.rows] == ["m_0", "m_1"]
    assert c.rows[1]["results"]["production"]["total_time"] == 1.0
    kept = registry.compare(["m_0", "m_1"], keep="total_time")
    assert [col["metric"] for col in kept.metric_columns] == ["total_time"]
    assert registry.compare(["m_0", "m_1"], drop=["total_time"]).metric_columns == []
    with pytest.raises(UsageError):
        registry.compare(["m_0", "m_1"], keep=["no_such_row"])
    p = registry.promote("m_1", "production")
    assert (p.model_id, p.stage, p.previous) == ("m_1", "production", None) and p.commit and p.tag
    dry = registry.cleanup("mscn", 1, dry_run=True)
    assert dry.commit is None and dry.removed == ["m_0"] and "m_1" in dry.protected
    before = commit_count(registry)
    done = registry.cleanup("mscn", 1)
    assert done.removed == ["m_0"] and done.commit and commit_count(registry) == before + 1
    assert sorted(m.model_id for m in registry.list("mscn")) == ["m_1", "m_2"]


def test_unknown_id_raises_not_found_and_changes_nothing(registry):
    registry.register("mscn", id="m_x")
    before = repo_state(registry)
    with pytest.raises(modelgit.NotFoundError) as e:
        registry.record_test("no_such_model", "production", metrics={"total_time": 1})
    assert e.value.code == "NOT_FOUND" and "no_such_model" in e.value.message and e.value.hint
    assert e.value.exit_code == 1
    with pytest.raises(modelgit.NotFoundError):
        registry.show("no_such_model")
    assert repo_state(registry) == before


BAD_CALLS = [
    ("unsafe dataset", lambda r: r.record_test("m_x", "bad name", metrics={"total_time": 1})),
    ("unsafe id", lambda r: r.register("mscn", id="../escape")),
    ("unsafe tag", lambda r: r.tag("m_x", "no/slash")),
    ("nan metric", lambda r: r.record_test("m_x", "production", metrics={"total_time": float("nan")})),
    ("negative time", lambda r: r.record_test("m_x", "production", times=[0.1, -1])),
    ("no result", lambda r: r.record_test("m_x", "production")),
    ("taken id", lambda r: r.register("mscn", id="m_x")),
]


def test_bad_input_raises_and_changes_nothing(registry):
    registry.register("mscn", id="m_x")
    before = repo_state(registry)
    for what, call in BAD_CALLS:
        with pytest.raises(modelgit.ModelgitError) as e:
            call(registry)
        assert e.value.code in ("USAGE", "CONFLICT") and e.value.message, what
        assert repo_state(registry) == before, what


def test_verify_reports_a_changed_artifact(registry):
    d = os.path.join(registry.root, "artifacts", "x")
    os.makedirs(d)
    with open(os.path.join(d, "w.bin"), "wb") as f:
        f.write(b"abc")
    registry.register("mscn", id="m_v", model_path="artifacts/x")
    assert registry.verify("m_v").ok
    with open(os.path.join(d, "w.bin"), "wb") as f:
        f.write(b"abd")
    v = registry.verify("m_v")
    assert not v.ok and [c.name for c in v.failed] == ["sha256:w.bin"]


def test_best_with_nothing_tested_raises_not_found(registry):
    registry.register("mscn", id="m_u")
    with pytest.raises(modelgit.NotFoundError):
        registry.best("mscn", "production")


def test_no_cli_found_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELGIT_BIN", str(tmp_path / "missing-modelgit"))
    with pytest.raises(modelgit.CLINotFoundError) as e:
        modelgit.Registry(tmp_path)
    assert "MODELGIT_BIN" in e.value.message and e.value.code == "CLI_NOT_FOUND"
    monkeypatch.delenv("MODELGIT_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(cli_mod, "_CHECKOUT_BUILD", tmp_path / "dist" / "cli" / "main.js")
    with pytest.raises(modelgit.CLINotFoundError) as e:
        modelgit.Registry(tmp_path)
    assert "MODELGIT_BIN is not set" in e.value.message and "PATH" in e.value.message and "npm run build" in e.value.hint


def test_not_a_registry(tmp_path):
    os.makedirs(tmp_path / "plain")
    git(tmp_path / "plain", "init", "-q")
    with pytest.raises(modelgit.NotARegistryError):
        modelgit.Registry(tmp_path / "plain").list()


def test_last_json_object_takes_the_error_object_after_human_lines():
    text = ('modelgit: no model "x"\n  hint: {not json}\n'
            '{"error":{"code":"NOT_FOUND","message":"no model","hint":"h","data":{"a":1}}}\n')
    assert last_json_object(text)["error"]["code"] == "NOT_FOUND"
    pretty = 'warning: {x}\n' + json.dumps({"error": {"code": "USAGE", "message": "m", "nested": {"k": 1}}}, indent=2)
    assert last_json_object(pretty)["error"]["code"] == "USAGE"
    assert last_json_object("no json here\n") is None
    err = cli_mod.error_from(["modelgit"], 1, text)
    assert isinstance(err, modelgit.NotFoundError) and err.hint == "h" and err.data["data"] == {"a": 1}
    usage = cli_mod.error_from(["modelgit"], 2, "error: unknown option '--x'\n")
    assert isinstance(usage, modelgit.UsageError) and usage.message == "unknown option '--x'"


def test_summarize_timings_matches_the_cli_definitions():
    s = modelgit.summarize_timings([0.1, 0.2])
    assert s == {"total_time": 0.3, "average_time": 0.15, "median_time": 0.15, "p95_time": 0.195}
    assert modelgit.summarize_timings([2.0])["p95_time"] == 2.0
    with pytest.raises(ValueError):
        modelgit.summarize_timings([])


def test_a_write_that_met_a_busy_lock_is_retried_with_its_operation_id_and_lands_once(registry, monkeypatch):
    """The client keeps one operation id across its retries: the CLI gives up on a lock a live
    process holds (LOCKED), the client waits and runs the same operation again, and it lands once."""
    import json
    import socket
    import threading
    import time as _time
    from pathlib import Path

    from conftest import git

    monkeypatch.setenv("MODELGIT_LOCK_WAIT_MS", "300")
    lock = Path(registry.root) / ".git" / "modelgit" / "write.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    # Held by this (live) test process: the CLI must never break it, only wait and give up.
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "token": "held-by-the-test",
                                "since": "2026-01-01T00:00:00Z", "command": "test"}) + "\n")
    release = threading.Timer(0.6, lambda: lock.unlink())
    release.start()
    started = _time.monotonic()
    try:
        r = registry.register("mscn", dataset="production")
    finally:
        release.cancel()
    assert _time.monotonic() - started >= 0.6  # it waited for the holder instead of stealing the lock
    log = git(registry.root, "log", "--format=%s%n%(trailers:key=Operation-Id,valueonly)")
    assert log.count(f"register {r.model_id}") == 1
    assert len([m for m in registry.list("mscn")]) == 1

"""Executing load plans on a real imported checkpoint (examples/llm_checkpoint): checksums first,
safetensors, key mapping, the custom module, a strict load. Torch tests skip when torch is missing."""
import json
import os
import sys

import pytest
from conftest import EXAMPLES

import modelgit
from modelgit.loader import load_plan, read_state_dict

sys.path.insert(0, str(EXAMPLES / "llm_checkpoint"))
from make_checkpoint import CONFIG, METADATA, make_checkpoint, tensor_shapes, values  # noqa: E402


@pytest.fixture
def imported(registry, tmp_path):
    ckpt = make_checkpoint(str(tmp_path / "ckpt" / "mtp-ref-v1"))
    registry.import_(ckpt)
    return registry, ckpt


def expected_values(name):
    shapes = tensor_shapes()
    i = list(shapes).index(name)
    dtype, shape = shapes[name]
    n = 1
    for d in shape:
        n *= d
    return values(n, seed=i + 1)


def test_state_dict_without_torch_is_verified_and_mapped(imported):
    reg, _ = imported
    plan = reg.plan("mtp-ref-v1")
    sd = read_state_dict(plan, reg, framework="python")
    assert "transformer.h.0.mlp.fc_in.weight" in sd and not any(k.startswith("base_model.") for k in sd)
    assert len(sd) == len(tensor_shapes())
    w = sd["transformer.h.0.mlp.fc_in.weight"]
    assert w.shape == (4 * CONFIG["n_embd"], CONFIG["n_embd"])
    import struct
    got = w.flat()
    want = [struct.unpack("<f", struct.pack("<f", v))[0] for v in expected_values("transformer.h.0.mlp.c_fc.weight")]
    assert got == want


def test_the_plan_records_each_tensors_dtype_and_shape_and_a_mismatch_is_refused(imported):
    reg, _ = imported
    plan = reg.plan("mtp-ref-v1")
    info = plan["weights"][0]["tensor_info"]
    shapes = tensor_shapes()
    # keyed by the names in the file (before the key mapping), with the header's dtype and shape
    assert sorted((i["dtype"], tuple(i["shape"])) for i in info.values()) == sorted((d, tuple(s)) for d, s in shapes.values())
    raw = json.loads(json.dumps(plan))
    first = sorted(raw["weights"][0]["tensor_info"])[0]
    raw["weights"][0]["tensor_info"][first]["dtype"] = "F64"
    with pytest.raises(modelgit.LoadPlanError) as e:
        read_state_dict(raw, reg, framework="python")
    assert "tensor_info" in e.value.message and first in e.value.message


def test_a_checksum_mismatch_refuses_to_load(imported):
    reg, ckpt = imported
    plan = reg.plan("mtp-ref-v1")
    p = os.path.join(ckpt, "model.safetensors")
    data = bytearray(open(p, "rb").read())
    data[-1] ^= 0xFF  # same size, one byte different
    open(p, "wb").write(bytes(data))
    mods = set(sys.modules)
    with pytest.raises(modelgit.ArtifactError) as e:
        read_state_dict(plan, reg, framework="python")
    assert "refusing to load" in e.value.message and "model.safetensors" in e.value.message
    with pytest.raises(modelgit.ArtifactError):
        load_plan(plan, reg)
    assert not [m for m in set(sys.modules) - mods if m.startswith("modelgit_loaded_")]  # modeling.py never ran
    assert not reg.verify("mtp-ref-v1").ok


def test_a_changed_module_file_is_refused_before_it_runs(imported, tmp_path):
    reg, ckpt = imported
    marker = tmp_path / "ran"
    with open(os.path.join(ckpt, "modeling.py"), "a") as f:
        f.write(f"\nopen({str(marker)!r}, 'w').close()\n")
    with pytest.raises(modelgit.ArtifactError):
        load_plan(reg.plan("mtp-ref-v1"), reg)
    assert not marker.exists()


def test_plans_that_cannot_be_carried_out(imported):
    reg, _ = imported
    plan = reg.plan("mtp-ref-v1")
    with pytest.raises(modelgit.LoadPlanError, match="remote"):
        load_plan({**plan, "location": "remote", "directory": "s3://bucket/x"}, reg)
    with pytest.raises(modelgit.LoadPlanError, match="not a load plan"):
        load_plan({"nope": 1})
    try:
        import transformers  # noqa: F401
    except ImportError:
        hf = {**plan, "loader_type": "huggingface", "class": {"transformers_class": "AutoModelForCausalLM"}}
        with pytest.raises(modelgit.LoadPlanError, match="needs the transformers package"):
            load_plan(hf, reg)
    with pytest.raises(modelgit.LoadPlanError, match="no Python loader"):
        load_plan({**plan, "loader_type": "team_loader"}, reg)
    got = load_plan({**plan, "loader_type": "team_loader"}, reg,
                    loaders={"team_loader": lambda p, sd, cfg: (sorted(sd)[0], cfg["n_embd"])})
    assert got == ("lm_head.weight", CONFIG["n_embd"])


def test_load_for_recipe_gives_a_torch_module_with_the_weights(imported):
    torch = pytest.importorskip("torch")
    reg, _ = imported
    model = modelgit.load_for_recipe(reg, "critic-wmtp")
    assert isinstance(model, torch.nn.Module) and type(model).__name__ == "GPTMTPForCausalLM"
    assert model.modelgit_model_id == "mtp-ref-v1"
    got = model.state_dict()["transformer.h.0.mlp.fc_out.bias"].tolist()
    want = torch.tensor(expected_values("transformer.h.0.mlp.c_proj.bias"), dtype=torch.float16).float().tolist()
    assert got == want
    with torch.no_grad():
        out = model(torch.tensor([[1, 2, 3]]))
    assert list(out.shape) == [1 + CONFIG["mtp_heads"], 1, 3, CONFIG["vocab_size"]]
    plan = reg.plan("mtp-ref-v1")
    named = load_plan({**plan, "class": {**plan["class"], "config_class_name": "TinyMTPConfig"}}, reg)
    assert type(named.config).__name__ == "TinyMTPConfig" and named.config.n_embd == CONFIG["n_embd"]
    with pytest.raises(modelgit.LoadPlanError, match="defines no NoSuchConfig"):
        load_plan({**plan, "class": {**plan["class"], "config_class_name": "NoSuchConfig"}}, reg)


def test_a_strict_load_refuses_weights_that_do_not_fit(registry, tmp_path):
    pytest.importorskip("torch")
    ckpt = make_checkpoint(str(tmp_path / "ckpt" / "mtp-extra"),
                           metadata={**METADATA, "algorithm_compatibility": ["extra-recipe"]})
    with open(os.path.join(ckpt, "modeling.py"), "a") as f:
        f.write("\n\nclass WithExtra(GPTMTPForCausalLM):\n    def __init__(self, config):\n"
                "        super().__init__(config)\n        self.extra = torch.nn.Linear(2, 2)\n")
    meta = json.load(open(os.path.join(ckpt, "metadata.json")))
    meta["loading_strategy"]["model_class_name"] = "WithExtra"
    json.dump(meta, open(os.path.join(ckpt, "metadata.json"), "w"))
    registry.import_(ckpt)
    with pytest.raises(modelgit.LoadPlanError) as e:
        modelgit.load_for_recipe(registry, "extra-recipe")
    assert "strict" in e.value.message and "extra.weight" in e.value.message


def test_a_file_to_load_without_a_registered_checksum_is_refused(registry, tmp_path):
    ckpt = make_checkpoint(str(tmp_path / "ckpt" / "late-module"))
    module = open(os.path.join(ckpt, "modeling.py")).read()
    os.remove(os.path.join(ckpt, "modeling.py"))  # registered without it: no checksum covers it
    fields = {k: METADATA[k] for k in ("loading_strategy", "algorithm_compatibility", "training_algorithm")}
    registry.register("gpt2", id="late-module", model_path=ckpt, fields=fields)
    open(os.path.join(ckpt, "modeling.py"), "w").write(module)  # dropped in afterwards
    with pytest.raises(modelgit.ArtifactError) as e:
        load_plan(registry.plan("late-module"), registry)
    assert "modeling.py: not among the registered files" in e.value.message

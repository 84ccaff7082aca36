"""Writes a small but real LLM checkpoint directory, as a training harness leaves one behind:

    config.json  modeling.py  model.safetensors  metadata.json

The weights are saved under the harness's wrapper prefix ("base_model.") and with the harness's
layer names (c_fc/c_proj), so the metadata's state_dict_mapping has real work to do. Values come
from a fixed pseudo-random sequence, so the file is the same on every run, with or without torch
(the safetensors file is written by modelgit's own writer from plain Python numbers).

    python make_checkpoint.py OUT_DIR
"""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))  # run from a checkout without installing

from modelgit.safetensors import RawTensor, save_safetensors  # noqa: E402

CONFIG = {"model_type": "tiny-mtp", "vocab_size": 16, "n_embd": 8, "n_layer": 1, "mtp_heads": 2}

METADATA = {
    "wmtp_type": "reference_model",
    "training_algorithm": "mtp",
    "base_architecture": "gpt2",
    "storage_version": "2.0",
    "loading_strategy": {
        "loader_type": "custom_mtp",
        "model_class_name": "GPTMTPForCausalLM",
        "custom_module_file": "modeling.py",
        "transformers_class": "AutoModelForCausalLM",
        "state_dict_mapping": {"remove_prefix": "base_model.", "add_prefix": None,
                               "key_transforms": {"c_fc": "fc_in", "c_proj": "fc_out"}},
        "required_files": ["config.json", "model.safetensors", "modeling.py"],
    },
    "algorithm_compatibility": ["baseline-mtp", "critic-wmtp", "rho1-wmtp"],
    "training": {"dataset": "pile-subset", "trained_at": "2024-11-02T08:15:00Z",
                 "hyperparams": {"lr": 0.0003, "mtp_heads": 2}},
}


def tensor_shapes(c=CONFIG):
    v, e = c["vocab_size"], c["n_embd"]
    shapes = {"transformer.wte.weight": ("F32", [v, e])}
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        shapes.update({
            p + "ln.weight": ("F32", [e]), p + "ln.bias": ("F32", [e]),
            p + "mlp.c_fc.weight": ("F32", [4 * e, e]), p + "mlp.c_fc.bias": ("F32", [4 * e]),
            p + "mlp.c_proj.weight": ("F32", [e, 4 * e]), p + "mlp.c_proj.bias": ("F16", [e]),
        })
    shapes["lm_head.weight"] = ("F32", [v, e])
    for i in range(c["mtp_heads"]):
        shapes[f"mtp_heads.{i}.weight"] = ("F32", [e, e])
        shapes[f"mtp_heads.{i}.bias"] = ("F32", [e])
    return shapes


def values(n, seed):
    x = seed
    out = []
    for _ in range(n):
        x = (1103515245 * x + 12345) % (1 << 31)
        out.append(round((x / (1 << 31) - 0.5) * 0.2, 4))  # small values, exact in F16 and F32
    return out


def make_checkpoint(out_dir, metadata=None):
    os.makedirs(out_dir, exist_ok=True)
    tensors = {}
    for i, (name, (dtype, shape)) in enumerate(tensor_shapes().items()):
        n = 1
        for d in shape:
            n *= d
        tensors["base_model." + name] = RawTensor.from_values(dtype, shape, values(n, seed=i + 1))
    save_safetensors(tensors, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    shutil.copyfile(os.path.join(HERE, "modeling.py"), os.path.join(out_dir, "modeling.py"))
    with open(os.path.join(out_dir, "metadata.json"), "w") as f:
        json.dump(metadata or METADATA, f, indent=2)
    return out_dir


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_checkpoint.py OUT_DIR")
    print(make_checkpoint(sys.argv[1]))

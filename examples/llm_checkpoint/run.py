"""The seed-002 flow, end to end: a checkpoint directory that carries its own loading metadata is
imported into a registry, the training recipe asks the registry which model to start from, and the
load plan is executed into a torch module that runs a forward pass.

    python run.py [--registry PATH] [--recipe critic-wmtp] [--json]

Without --registry a temporary registry is made (git init + modelgit init) and removed afterwards.
Needs torch for the last step; the steps before it need only the standard library and the CLI.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from make_checkpoint import make_checkpoint  # noqa: E402

from modelgit import ModelgitError, Registry, load_for_recipe  # noqa: E402


def temp_registry(base):
    path = os.path.join(base, "registry")
    os.makedirs(path)
    for args in (["init", "-q"], ["config", "user.name", "modelgit example"], ["config", "user.email", "example@localhost"],
                 ["config", "commit.gpgsign", "false"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    return Registry.init(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--registry")
    p.add_argument("--recipe", default="critic-wmtp")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="modelgit-llm-") as tmp:
        try:
            reg = Registry(a.registry) if a.registry else temp_registry(tmp)
            # 1. training left a checkpoint directory with metadata.json (loading strategy, compatibility)
            ckpt = make_checkpoint(os.path.join(reg.root if a.registry else tmp, "checkpoints", "mtp-ref-v1"))
            # 2. import it: one commit, checksums of every file recorded
            imported = reg.import_(ckpt)
            model_id = imported["imported"][0]["model_id"]
            print(f"imported {model_id}", file=sys.stderr)
            # 3. the recipe asks which model to start from, and how to load it
            res = reg.resolve(a.recipe)
            print(f"resolve --for {a.recipe}: {res.model_id} ({res.reason})", file=sys.stderr)
            # 4. verify, read safetensors, map keys, import modeling.py, strict load into torch
            model = load_for_recipe(reg, a.recipe)
        except ModelgitError as e:
            print(f"run.py: {e}", file=sys.stderr)
            return 1
        import torch
        with torch.no_grad():
            logits = model(torch.tensor([[1, 2, 3, 4]]))
        out = {"model_id": model.modelgit_model_id, "class": type(model).__name__,
               "logits_shape": list(logits.shape), "first_logit": round(float(logits[0, 0, 0, 0]), 6),
               "parameters": sum(t.numel() for t in model.state_dict().values())}
        print(json.dumps(out) if a.json else
              f"{out['class']} {out['model_id']}: forward pass gives logits of shape {out['logits_shape']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The read path of the registry modelgit replaces, as its users ran it: one JSON file holding every
model's metadata, loaded whole on each call. Copied from the seed document (../shared/seeds/000_*.txt,
`algorithm_examples/model_registry.py`: _load_registry, list_models, get_best_model and the lookup
compare_models does), with the printing left out, so `npm run bench` can time each modelgit read
beside the one it replaces on the same models (issue #18).

    python3 bench/seed_registry.py FILE best ALGO [DATASET] [METRIC]
    python3 bench/seed_registry.py FILE list ALGO
    python3 bench/seed_registry.py FILE show ID
    python3 bench/seed_registry.py FILE compare ID [ID ...]

Writes nothing; prints one short line (an id or a count) so a run can be checked.
"""
import json
import sys
from typing import Dict, List, Optional


class ModelRegistry:
    def __init__(self, registry_file: str):
        self.registry_file = registry_file

    def _load_registry(self) -> Dict:
        with open(self.registry_file, 'r', encoding='utf-8') as f:
            return json.load(f)

    def list_models(self, algorithm: str = None, dataset: str = None, tags: List[str] = None, sort_by: str = "trained_at") -> List[Dict]:
        registry = self._load_registry()
        models = []
        for model_id, metadata in registry.items():
            if algorithm and metadata.get("algorithm") != algorithm:
                continue
            if dataset:
                training = metadata.get("training", {})
                if training.get("dataset") != dataset:
                    continue
            if tags:
                model_tags = set(metadata.get("tags", []))
                if not set(tags).issubset(model_tags):
                    continue
            models.append(metadata)
        if sort_by == "trained_at":
            # (the seed's key; `or {}` because modelgit records an untrained model's training as null)
            models.sort(key=lambda x: (x.get("training") or {}).get("trained_at", ""), reverse=True)
        return models

    def get_best_model(self, algorithm: str, dataset: str = None, metric: str = "total_time") -> Optional[Dict]:
        models = self.list_models(algorithm=algorithm)
        if not models:
            return None
        candidates = []
        for model in models:
            for test in model.get("testing", []):
                if dataset and test["dataset"] != dataset:
                    continue
                perf = test["performance"].get(metric)
                if perf is not None:
                    candidates.append({"model": model, "performance": perf, "test_dataset": test["dataset"]})
        if not candidates:
            return None
        best = min(candidates, key=lambda x: x["performance"])
        return best["model"]

    def compare_models(self, model_ids: List[str]) -> List[Dict]:
        registry = self._load_registry()
        return [registry[i] for i in model_ids if i in registry]


def main(argv: List[str]) -> int:
    reg = ModelRegistry(argv[1])
    cmd, rest = argv[2], argv[3:]
    if cmd == 'best':
        m = reg.get_best_model(rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else "total_time")
        print(m["model_id"] if m else "none")
    elif cmd == 'list':
        print(len(reg.list_models(algorithm=rest[0])))
    elif cmd == 'show':
        print(reg._load_registry()[rest[0]]["model_id"])
    elif cmd == 'compare':
        print(len(reg.compare_models(rest)))
    else:
        print(f"unknown command {cmd}", file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

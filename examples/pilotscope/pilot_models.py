"""The PilotScope models of the example: MSCN and Lero as RegisteredModel subclasses.

The learning is a stand-in, but an honest one: each model is a linear cardinality estimator
trained by plain SGD on a synthetic, deterministic query workload (features -> log cardinality),
so more epochs give a genuinely better model. "Running" a test workload does not execute SQL:
each query's time is its dataset's base cost times (1 + the model's estimation error on it),
computed, not measured -- deterministic, so the scenarios' best model is the same on every run.
"""
import json
import math
import os
import random
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))  # run from a checkout without installing

from modelgit import RegisteredModel  # noqa: E402

TRUE_WEIGHTS = [0.8, -0.5, 1.3, 0.4]  # the workload's real relation between features and log-cardinality


def workload(dataset, n):
    """n queries of a dataset: (features, log cardinality, base seconds); the same on every call."""
    rng = random.Random(zlib.crc32(dataset.encode()))
    queries = []
    for _ in range(n):
        x = [rng.uniform(-1, 1) for _ in TRUE_WEIGHTS]
        y = sum(w * xi for w, xi in zip(TRUE_WEIGHTS, x))
        queries.append((x, y, round(rng.uniform(0.05, 0.5), 4)))
    return queries


class LinearEstimator:
    def __init__(self, weights=None):
        self.weights = list(weights or [0.0] * len(TRUE_WEIGHTS))

    def predict(self, x):
        return sum(w * xi for w, xi in zip(self.weights, x))

    def fit(self, queries, epochs, lr):
        for _ in range(epochs):
            for x, y, _ in queries:
                err = self.predict(x) - y
                self.weights = [w - lr * err * xi for w, xi in zip(self.weights, x)]

    def save(self, path):
        with open(path, "w") as f:
            json.dump({"weights": self.weights}, f)

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls(json.load(f)["weights"])


class PilotModel(RegisteredModel):
    """The shared part of MSCN and Lero: train, save/load the weights file, run a test workload."""

    def __init__(self, registry):
        super().__init__(registry)
        self.model = LinearEstimator()

    def train(self, dataset, epochs, lr=0.0005, num_training=50):
        self.model.fit(workload(dataset, num_training), epochs, lr)

    def run_workload(self, dataset, num_queries=100):
        """Per-query seconds on the dataset's test workload (see the module docstring)."""
        return [round(base * (1 + abs(self.model.predict(x) - y)), 6)
                for x, y, base in workload(dataset + "/test", num_queries)]

    def _save_model_impl(self):
        self.model.save(self.model_path)  # model_path: the artifact file the registry will point at

    def _load_model_impl(self):
        self.model = LinearEstimator.load(self.model_path)


class MscnPilotModel(PilotModel):
    algorithm = "mscn"


class LeroPilotModel(PilotModel):
    algorithm = "lero"


MODELS = {"mscn": MscnPilotModel, "lero": LeroPilotModel}

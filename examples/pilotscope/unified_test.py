"""unified_test.py from the older PilotScope workflow, on modelgit.

    python unified_test.py --algo mscn --db production --epochs 100          # train, test, register
    python unified_test.py --algo mscn --db stats_tiny --no-training --load-model ID   # test that model
    python unified_test.py --algo mscn --db production --no-training         # test the best model

Training on: a new model is trained, tested on --db, and registered with that result (one
commit). Training off: the model --load-model names, else the best registered model on --db, is
loaded and tested, and the result is appended to it (one commit). The registry is --registry, else
$MODELGIT_REGISTRY, else the current directory. --json prints one JSON line for scripts.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from pilot_models import MODELS  # noqa: E402

from modelgit import ModelgitError, Registry, model_for_run  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--algo", required=True, choices=sorted(MODELS))
    p.add_argument("--db", required=True, help="dataset to train and/or test on")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--learning-rate", type=float, default=0.0005)
    p.add_argument("--num-training", type=int, default=50)
    p.add_argument("--num-queries", type=int, default=100, help="test queries")
    p.add_argument("--no-training", action="store_true")
    p.add_argument("--load-model", metavar="ID")
    p.add_argument("--registry", default=os.environ.get("MODELGIT_REGISTRY", "."))
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    log = (lambda s: print(s, file=sys.stderr)) if a.json else print

    try:
        reg = Registry(a.registry)
        cls = MODELS[a.algo]
        model, how = model_for_run(
            cls, reg, dataset=a.db, enable_training=not a.no_training, load_model_id=a.load_model,
            hyperparams={"num_epoch": a.epochs, "num_training": a.num_training, "learning_rate": a.learning_rate},
            num_queries=a.num_training, log=log)
        if how == "new":
            model.train(a.db, a.epochs, a.learning_rate, a.num_training)
        times = model.run_workload(a.db, a.num_queries)
        if how == "untrained":
            log(f"ran {len(times)} queries on {a.db} with an untrained model: {sum(times):.3f}s (not recorded)")
            result = None
        else:
            result = model.add_test_result(a.db, times=times)
            model.save_model()  # registers a new model with its result; a loaded one is already registered
            log(f"{model.model_id}: {a.db} total_time={result.performance['total_time']}s "
                f"({how}{', epochs=%d' % a.epochs if how == 'new' else ''})")
    except ModelgitError as e:
        print(f"unified_test: {e}", file=sys.stderr)
        return 1
    if a.json:
        print(json.dumps({"model_id": model.model_id if result else None, "how": how, "dataset": a.db,
                          "performance": result.performance if result else None,
                          "artifact_path": model.model_path if result else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

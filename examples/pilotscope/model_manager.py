"""scripts/model_manager.py from the older workflow (list, best, compare, cleanup, tag), on the
modelgit Python client. The modelgit CLI does the same; this shows the calls from Python.

    python model_manager.py [--registry PATH] list --algo mscn
    python model_manager.py best --algo mscn --dataset production
    python model_manager.py compare ID ID [--dataset D]
    python model_manager.py cleanup --algo mscn --keep 3 [--dataset production] [--dry-run]
    python model_manager.py tag ID best production
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from modelgit import ModelgitError, Registry  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description="model management on a modelgit registry")
    p.add_argument("--registry", default=os.environ.get("MODELGIT_REGISTRY", "."))
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("list"); s.add_argument("--algo"); s.add_argument("--dataset"); s.add_argument("--tags", nargs="+", default=[])
    s = sub.add_parser("best"); s.add_argument("--algo", required=True); s.add_argument("--dataset")
    s = sub.add_parser("compare"); s.add_argument("models", nargs="+"); s.add_argument("--dataset")
    s = sub.add_parser("cleanup"); s.add_argument("--algo", required=True); s.add_argument("--keep", type=int, default=5)
    s.add_argument("--dataset", help="rank on this dataset (needed once models are tested on several)")
    s.add_argument("--dry-run", action="store_true")
    s = sub.add_parser("tag"); s.add_argument("model_id"); s.add_argument("tags", nargs="+")
    a = p.parse_args(argv)
    reg = Registry(a.registry)
    try:
        if a.command == "list":
            for m in reg.list(a.algo, dataset=a.dataset, tags=a.tags):
                train = m.training or {}
                print(f"{m.model_id}  trained on {train.get('dataset', 'N/A')} (epochs={m.hyperparams.get('num_epoch')})"
                      f"  tags: {', '.join(m.tags) or '-'}")
                for t in m.testing:
                    print(f"    {t.dataset}: {t.performance.get('total_time')}s")
        elif a.command == "best":
            b = reg.best(a.algo, a.dataset)
            print(f"best {a.algo} on {b.dataset}: {b.model_id} ({b.metric}={b.value}, {b.candidates} candidates)")
            print(f"artifact: {b.artifact_path}")
        elif a.command == "compare":
            c = reg.compare(a.models, dataset=a.dataset)
            for row in c.rows:
                print(row["model_id"], {ds: r.get("total_time") for ds, r in row["results"].items()})
        elif a.command == "cleanup":
            c = reg.cleanup(a.algo, a.keep, dataset=a.dataset, dry_run=a.dry_run)
            print(f"removed {len(c.removed)}: {' '.join(c.removed) or '-'}; kept {len(c.kept)}; protected {len(c.protected)}")
        elif a.command == "tag":
            print(reg.tag(a.model_id, *a.tags).commit)
    except ModelgitError as e:
        print(f"model_manager: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the Python client adds to a write: `register` and `record_test` through ``Registry``
against the same command run directly, on a generated registry (bench/generate.mjs; 10,000 models
by default). Runs alternate (CLI, client, CLI, client...) so a busy moment slows both, and every
write is undone (git reset --hard) before the next. The target: the client costs no more than the
CLI call plus ~20 ms. On a loaded machine the wall-time difference is noisy; the client's own
CPU time per call (this process only, measured with getrusage) is printed beside it, and so is the
CPU time of each whole process tree (node and the git processes it ran: RUSAGE_CHILDREN), which a
busy machine hardly changes: the client's tree against the CLI's is the overhead without the noise.

    /usr/bin/python3 python/bench/bench_client.py [--models 10000] [--runs 7]
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))

from modelgit import Registry  # noqa: E402


def children_cpu_ms():
    """User + system CPU of every ended child process and its descendants so far, in ms."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", type=int, default=10000)
    p.add_argument("--runs", type=int, default=7)
    a = p.parse_args()
    main_js = os.path.join(REPO, "dist", "cli", "main.js")
    os.environ["MODELGIT_BIN"] = main_js
    root = subprocess.run(["node", os.path.join(REPO, "bench", "generate.mjs"), "--models", str(a.models)],
                          check=True, stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    git = lambda *args: subprocess.run(["git", *args], cwd=root, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    head = git("rev-parse", "HEAD")
    reg = Registry(root)
    some_id = reg.list("mscn", limit=1)[0].model_id
    cases = {
        "register": (["register", "--algo", "mscn", "--json"], lambda: reg.register("mscn")),
        "test": (["test", some_id, "--dataset", "production", "--metric", "total_time=1.5", "--json"],
                 lambda: reg.record_test(some_id, "production", metrics={"total_time": 1.5})),
    }
    print(f"registry: {root} ({a.models} models), {a.runs} runs each, median ms")
    for name, (argv, call) in cases.items():
        call()  # warm-up: caches, and the client learns whether the CLI takes --operation-id
        git("reset", "--hard", "-q", head)
        cli_ms, py_ms, self_ms, cli_cpu, py_cpu = [], [], [], [], []
        for _ in range(a.runs):
            t = time.perf_counter()
            c0 = children_cpu_ms()
            subprocess.run(["node", main_js, *argv], cwd=root, check=True, stdout=subprocess.DEVNULL)
            cli_cpu.append(children_cpu_ms() - c0)
            cli_ms.append((time.perf_counter() - t) * 1000)
            git("reset", "--hard", "-q", head)
            t = time.perf_counter()
            c0 = children_cpu_ms()
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            call()
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            py_cpu.append(children_cpu_ms() - c0)
            py_ms.append((time.perf_counter() - t) * 1000)
            # the client's own CPU (this process, not the CLI it runs): immune to a busy machine
            self_ms.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
            git("reset", "--hard", "-q", head)
        c, q = statistics.median(cli_ms), statistics.median(py_ms)
        print(f"{name:10s} CLI {c:7.1f}   Python client {q:7.1f}   overhead {q - c:+6.1f}  "
              f"({'ok' if q - c <= 20 else 'over'} against +20 ms; the client's own CPU {statistics.median(self_ms):.1f} ms)")
        cc, qc = statistics.median(cli_cpu), statistics.median(py_cpu)
        print(f"{'':10s} CPU of the process tree: CLI {cc:7.1f}   Python client {qc:7.1f}   overhead {qc - cc:+6.1f}")


if __name__ == "__main__":
    main()

"""Shared fixtures: real temp registries driven by the real built CLI (no mocks of the CLI or git).

The CLI under test is this checkout's build (dist/cli/main.js, run with node) unless MODELGIT_BIN
says otherwise; `npm run build` must have run (python/run-tests.sh does it when it is missing).
Each temp repository sets user.name/user.email and commit.gpgsign=false, as the TypeScript tests do.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
EXAMPLES = REPO / "examples"
sys.path.insert(0, str(PYTHON_DIR))

BUILD = REPO / "dist" / "cli" / "main.js"
if not os.environ.get("MODELGIT_BIN"):
    if not BUILD.is_file():
        raise RuntimeError(f"{BUILD} is missing: run `npm run build` first (python/run-tests.sh does)")
    os.environ["MODELGIT_BIN"] = str(BUILD)

from modelgit import Registry  # noqa: E402


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True).stdout.strip()


def make_repo(path):
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    git(path, "config", "user.name", "modelgit tests")
    git(path, "config", "user.email", "tests@localhost")
    git(path, "config", "commit.gpgsign", "false")
    return path


def repo_state(reg):
    """HEAD, the number of commits and `git status` -- equal before and after a refused operation."""
    return (git(reg.root, "rev-parse", "HEAD"), git(reg.root, "rev-list", "--count", "HEAD"),
            git(reg.root, "status", "--porcelain", "--untracked-files=all"))


def commit_count(reg):
    return int(git(reg.root, "rev-list", "--count", "HEAD"))


@pytest.fixture
def registry(tmp_path):
    return Registry.init(make_repo(tmp_path / "registry"))

"""Finding and running the modelgit CLI.

The client does no registry work of its own: every operation is one run of the CLI with
``--json``, so Python and the CLI can never disagree about ids, validation, gates or commits. The
CLI is found from ``MODELGIT_BIN`` (an executable, or a ``.js`` file run with node), else
``modelgit`` on PATH, else this checkout's build (``dist/cli/main.js`` next to ``python/``).
Arguments go to the process as a list -- never through a shell -- and stdin, when given, is the
only other input. Errors come back as the exception class of the CLI's stable ``code``; the JSON
error object is the last JSON object on stderr (a human line may come before it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .errors import CLINotFoundError, ModelgitError, UsageError, error_class

_CHECKOUT_BUILD = Path(__file__).resolve().parents[2] / "dist" / "cli" / "main.js"


def _node() -> Optional[str]:
    return shutil.which("node")


def _command_for(path: str) -> List[str]:
    if path.endswith((".js", ".mjs", ".cjs")):
        node = _node()
        if node is None:
            raise CLINotFoundError(
                f"the modelgit CLI {path} is a JavaScript file, but no `node` is on PATH",
                hint="install Node.js >= 20, or set MODELGIT_BIN to a modelgit executable",
            )
        return [node, path]
    return [path]


def find_cli(explicit: Optional[str] = None) -> List[str]:
    """The argv prefix that runs the CLI. Raises CLINotFoundError saying where it looked."""
    if explicit:
        if not Path(explicit).is_file():
            raise CLINotFoundError(f"the modelgit CLI given ({explicit}) does not exist")
        return _command_for(str(explicit))
    env = os.environ.get("MODELGIT_BIN")
    if env:
        if not Path(env).is_file():
            found = shutil.which(env)
            if not found:
                raise CLINotFoundError(
                    f"MODELGIT_BIN={env} is not a file or a command on PATH",
                    hint="point MODELGIT_BIN at the modelgit executable or at dist/cli/main.js of a built checkout",
                )
            env = found
        return _command_for(env)
    on_path = shutil.which("modelgit")
    if on_path:
        return [on_path]
    if _CHECKOUT_BUILD.is_file():
        return _command_for(str(_CHECKOUT_BUILD))
    raise CLINotFoundError(
        "no modelgit CLI found: MODELGIT_BIN is not set, `modelgit` is not on PATH, and there is no "
        f"built checkout at {_CHECKOUT_BUILD}",
        hint="install the CLI (npm install -g modelgit), run `npm run build` in the checkout, or set MODELGIT_BIN",
    )


def last_json_object(text: str) -> Optional[Dict[str, Any]]:
    """The last JSON object in ``text`` that starts a line (stderr may hold human lines before it).

    Only a ``{`` at the start of a line begins a candidate, so an object nested inside another one
    (indented, or in the middle of a line) is never mistaken for the whole answer.
    """
    decoder = json.JSONDecoder()
    starts = [i for i, ch in enumerate(text) if ch == "{" and (i == 0 or text[i - 1] == "\n")]
    for pos in reversed(starts):
        try:
            value, _ = decoder.raw_decode(text, pos)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def error_from(argv: Sequence[str], rc: int, stderr: str) -> ModelgitError:
    """The exception for a failed run: the CLI's JSON error when there is one, else its stderr."""
    obj = last_json_object(stderr)
    err = obj.get("error") if isinstance(obj, dict) else None
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        code = str(err.get("code") or "MODELGIT")
        data = {k: v for k, v in err.items() if k not in ("code", "message", "hint")}
        return error_class(code)(
            err["message"], code=code, hint=err.get("hint"), data=data, exit_code=rc, command=list(argv), stderr=stderr
        )
    # No JSON: commander's own usage errors (unknown option, missing argument) or a crash.
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    message = lines[0] if lines else f"modelgit exited with status {rc} and printed nothing on stderr"
    if message.startswith("error: "):
        message = message[len("error: "):]
    if rc == 2:
        return UsageError(message, exit_code=rc, command=list(argv), stderr=stderr)
    return ModelgitError(message, exit_code=rc, command=list(argv), stderr=stderr)


class CLI:
    """One CLI executable, run in one directory."""

    def __init__(self, cwd: str, executable: Optional[str] = None) -> None:
        self.cwd = cwd
        self.prefix = find_cli(executable)

    def run(self, args: Sequence[str], stdin: Optional[str] = None, parse: bool = True,
            answer_on_failure: bool = False) -> Any:
        """Runs the CLI; the parsed stdout. ``answer_on_failure``: exit 1 with a JSON answer on stdout
        (verify, gates: a check failed) returns that answer instead of raising."""
        argv = [*self.prefix, *args]
        try:
            proc = subprocess.run(
                argv,
                cwd=self.cwd,
                input=stdin.encode("utf-8") if stdin is not None else None,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                shell=False,
            )
        except FileNotFoundError as e:
            raise CLINotFoundError(f"cannot start the modelgit CLI {argv[0]}: {e.strerror}") from None
        out = proc.stdout.decode("utf-8", errors="replace")
        err = proc.stderr.decode("utf-8", errors="replace")
        if proc.returncode != 0:
            if answer_on_failure and proc.returncode == 1 and out.strip():
                try:
                    return json.loads(out)
                except ValueError:
                    pass
            raise error_from(argv, proc.returncode, err)
        if not parse:
            return out
        try:
            return json.loads(out)
        except ValueError:
            raise ModelgitError(
                f"modelgit {args[0] if args else ''} printed no JSON on stdout: {out[:200]!r}",
                command=argv, stderr=err,
            ) from None

#!/bin/sh
# Runs the Python client's test suite against this checkout's built CLI (building it first when
# dist/ is missing) with Debian's python3 (python3-pytest, and python3-torch for the loader tests;
# without torch those tests are skipped). The last line is pytest's summary, e.g.
# "===== 30 passed in 95.1s =====", for .ci/run to add into its closing count.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
PY=${PYTHON:-/usr/bin/python3}
if [ ! -f "$repo/dist/cli/main.js" ]; then
  (cd "$repo" && npm run build >/dev/null)
fi
if ! "$PY" -c 'import pytest' 2>/dev/null; then
  echo "run-tests.sh: $PY has no pytest (apt-get install python3-pytest)" >&2
  exit 2
fi
cd "$here"
export MODELGIT_BIN="$repo/dist/cli/main.js"
exec "$PY" -m pytest -q -p no:cacheprovider -rs "$@" tests

#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment that runs the golden-fixture scripts.
# It lives outside the repository: ${FTUNE_GOLDEN_VENV:-$HOME/.cache/ftune/golden-venv}.
# Usage: tools/golden/setup-venv.sh && "$FTUNE_GOLDEN_VENV/bin/python" tools/golden/<script>.py
set -euo pipefail
venv="${FTUNE_GOLDEN_VENV:-$HOME/.cache/ftune/golden-venv}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r "$here/requirements.txt"
echo "$venv"

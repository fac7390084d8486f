#!/usr/bin/env bash
# Creates (or reuses) a Python virtual environment of reference packages, outside the repository.
#   tools/golden/setup-venv.sh            requirements.txt (the Hugging Face packages of the golden
#                                         fixtures) in ${FTUNE_GOLDEN_VENV:-$HOME/.cache/ftune/golden-venv}
#   tools/golden/setup-venv.sh tracking   requirements-tracking.txt (MLflow, TensorBoard) in
#                                         ${FTUNE_TRACKING_VENV:-$HOME/.cache/ftune/tracking-venv}
# Prints the venv folder last. pip runs only when the requirements file changed since the last
# install (a copy of it is kept in the venv), so a second call costs a few milliseconds.
# Usage: tools/golden/setup-venv.sh && "$FTUNE_GOLDEN_VENV/bin/python" tools/golden/<script>.py
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "${1:-golden}" in
  golden) venv="${FTUNE_GOLDEN_VENV:-$HOME/.cache/ftune/golden-venv}"; req="$here/requirements.txt" ;;
  tracking) venv="${FTUNE_TRACKING_VENV:-$HOME/.cache/ftune/tracking-venv}"; req="$here/requirements-tracking.txt" ;;
  *) echo "setup-venv.sh: unknown set '$1' (golden or tracking)" >&2; exit 2 ;;
esac
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! cmp -s "$req" "$venv/installed-requirements.txt"; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
  cp "$req" "$venv/installed-requirements.txt"
fi
echo "$venv"

#!/usr/bin/env bash
# Build appendix A's isolated RecBole environment in .venv-recbole/ from requirements-recbole.txt.
# It is separate from the course's .venv/ on purpose (RecBole 1.2.1 needs NumPy < 1.24) and is
# only ever used through scripts/recbole_run.py in a subprocess. Usage: scripts/build_recbole_env.sh
# [PYTHON]; `make recbole` runs it once and stamps .venv-recbole/.installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-python3.11}"
VENV=.venv-recbole
start=$(date +%s)
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip==25.3"
"$VENV/bin/python" -m pip install --quiet --no-deps -r requirements-recbole.txt
"$VENV/bin/python" -c "import numpy, recbole, torch; print('recbole', recbole.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__)"
cp requirements-recbole.txt "$VENV/.installed"
echo "built $VENV in $(( $(date +%s) - start )) s"

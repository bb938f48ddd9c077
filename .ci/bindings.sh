#!/usr/bin/env bash
# The C and Python bindings of lexset-filter, end to end: builds the C library (static, with
# its cbindgen header) and the Python wheel (maturin), then runs tests/bindings with pytest
# against a real `lexset serve`: the C test program (compiled here with cc) and the Python
# module load a signed build, match the shared fixture like the Rust filter, refuse tampered
# builds, and switch to a newly published build within a second.
#
#   .ci/bindings.sh target/debug/lexset
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(realpath "${1:?usage: $0 path/to/lexset}")
venv=${BINDINGS_VENV:-${TMPDIR:-/tmp}/lexset-bindings-venv}
if [ "$("$venv/bin/maturin" --version 2>/dev/null)" != "maturin 1.16.0" ] ||
  ! "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "maturin==1.16.0" "pytest==9.2.0"
fi

cargo build -p lexset-filter-c
wheels=$(mktemp -d "${TMPDIR:-/tmp}/lexset-wheels.XXXXXX")
trap 'rm -rf "$wheels"' EXIT
# Outside the workspace (an extension module links no libpython): its own target directory.
(cd filter-python && CARGO_TARGET_DIR=../target/python "$venv/bin/maturin" build --release \
  --interpreter "$venv/bin/python" --out "$wheels")
"$venv/bin/pip" install --quiet --force-reinstall "$wheels"/*.whl

LEXSET_BIN="$bin" LEXSET_C_INCLUDE="$PWD/filter-c/include" LEXSET_C_LIB_DIR="$PWD/target/debug" \
  "$venv/bin/python" -m pytest -v -p no:cacheprovider tests/bindings

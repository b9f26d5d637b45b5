#!/usr/bin/env bash
# The whole test suite: set up (packages + build) if needed, then CTest.
# Extra arguments go to ctest, e.g. scripts/test.sh -L e2e  or  -R config
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure "$@"

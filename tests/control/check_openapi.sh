#!/bin/sh
# Validates an OpenAPI document with @apidevtools/swagger-parser (npm),
# installed once into $BUILD/npm-openapi (never committed).
# Usage: check_openapi.sh <build dir> <openapi.json>; prints "METHOD path" lines.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir="$1/npm-openapi"
mkdir -p "$dir"
if [ ! -d "$dir/node_modules/@apidevtools/swagger-parser" ]; then
  cp "$here/openapi/package.json" "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --silent >&2)
fi
cp "$here/openapi/validate.mjs" "$dir/validate.mjs"
exec node "$dir/validate.mjs" "$2"

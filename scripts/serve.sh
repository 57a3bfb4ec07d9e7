#!/usr/bin/env bash
# Sets up, builds and serves the tooltune web app on http://localhost:${PORT:-8080}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh web
bash scripts/build-web.sh
port="${PORT:-8080}"
echo "tooltune: serving dist/ on http://localhost:$port (Ctrl-C to stop)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist

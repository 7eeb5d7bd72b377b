#!/usr/bin/env bash
# Installs the peers' npm packages into a git-ignored folder. The npm `bun`
# package brings its binary in an optional dependency (@oven/bun-linux-x64).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p node_modules_dir
npm install --prefix node_modules_dir --no-save --no-audit --no-fund \
  ws@8.23.0 bun@1.4.5 >/dev/null
test -x node_modules_dir/node_modules/bun/bin/bun.exe
echo "Installed ws $(node -p 'require("./node_modules_dir/node_modules/ws/package.json").version')," \
  "bun $(node_modules_dir/node_modules/bun/bin/bun.exe --version)," \
  "node $(node --version)"

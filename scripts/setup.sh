#!/usr/bin/env bash
# Installs what georep needs from the system (rsync, openssh client/server, attr tools, iproute2;
# systemd and groff for the tests of the unit and the man page)
# and the npm dependencies. Idempotent: safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for cmd in rsync ssh sshd time setfattr ip systemd-analyze groff; do
  case $cmd in
    systemd-analyze) command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd) ;;  # tests verify georep@.service (systemd need not run)
    groff) command -v groff >/dev/null 2>&1 || need+=(groff-base) ;;  # tests render the man page
    ip) command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1 || need+=(iproute2) ;;  # test hosts in network namespaces (remote e2e), tc for shaped links in bench/
    sshd) [ -x /usr/sbin/sshd ] || need+=(openssh-server) ;;
    time) [ -x /usr/bin/time ] || need+=(time) ;;  # GNU time: CPU and peak RSS in bench/
    setfattr) command -v setfattr >/dev/null 2>&1 || need+=(attr) ;;  # xattr tests (use-rsync-xattrs)
    ssh) command -v ssh >/dev/null 2>&1 || need+=(openssh-client) ;;
    *) command -v "$cmd" >/dev/null 2>&1 || need+=("$cmd") ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "setup: installing system packages with sudo: ${need[*]}"
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: georep needs these Debian packages: ${need[*]}" >&2
    echo "setup: run as root:  apt-get update && apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: georep needs Node.js >= 20.19 (found $(node --version))" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
npm run -s build

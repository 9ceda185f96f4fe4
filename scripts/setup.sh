#!/usr/bin/env bash
# Installs what georep needs from the system (rsync, openssh client/server, attr tools, iproute2;
# systemd and groff for the tests of the unit and the man page; a C compiler, make and python3
# for the slave agent's native part), the npm dependencies, and builds native/ and the
# TypeScript. Idempotent: safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for cmd in rsync ssh sshd time setfattr ip systemd-analyze groff g++ make python3; do
  case $cmd in
    systemd-analyze) command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd) ;;  # tests verify georep@.service (systemd need not run)
    groff) command -v groff >/dev/null 2>&1 || need+=(groff-base) ;;  # tests render the man page
    # The slave agent's native part (native/georep_fs.c: openat, renameat, utimensat…) is compiled
    # here by node-gyp; there is no prebuilt binary and no fallback to the unsafe path-based calls.
    g++ | make | python3) command -v "$cmd" >/dev/null 2>&1 || need+=("$cmd") ;;
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

# node-gyp (npm ci runs package.json's install script, which builds native/; so does the step
# below when node_modules is already there) builds offline against the headers of the Node that
# runs it; without nodedir it would try to download them. The machine's npm config may already
# name them; this is the fallback.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
export npm_config_nodedir="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)}"
export npm_config_nodedir="${npm_config_nodedir:-$node_prefix}"
if [ ! -f "$npm_config_nodedir/include/node/node_api.h" ]; then
  echo "setup: Node's C headers are not in $npm_config_nodedir/include/node (needed to build native/)" >&2
  echo "setup: install the headers of this Node (Debian: apt-get install -y libnode-dev, or a Node build that ships include/node) and set npm_config_nodedir to its prefix" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

addon=native/build/Release/georep_fs.node
if [ ! -f "$addon" ] || [ native/georep_fs.c -nt "$addon" ] || [ native/binding.gyp -nt "$addon" ]; then
  echo "setup: building the slave agent's native part (native/)"
  npm run -s build:native 2>&1 | grep -v 'Unknown user config "nodedir"' || true
  if [ ! -f "$addon" ]; then
    echo "setup: building native/ failed (see above); the slave agent cannot run without it" >&2
    exit 1
  fi
fi
npm run -s build

#!/usr/bin/env bash
# Quick start: from a fresh clone to a real, verified replication of a small sample tree.
# Runs setup (system packages, npm ci, build), builds an awkward sample tree, syncs it once
# with bin/georep, and checks the copy with diff. Leaves both trees in a temp dir to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

bash scripts/setup.sh

base="$(mktemp -d "${TMPDIR:-/tmp}/georep-quickstart.XXXXXX")"
master="$base/master tree"
slave="$base/slave tree"
work="$base/workdir"

echo "quickstart: building a sample tree in $master"
mkdir -p "$master/docs/sub dir" "$master/empty dir"
printf 'hello, georep\n' >"$master/docs/hello.txt"
printf 'a name with spaces\n' >"$master/docs/sub dir/file with spaces.txt"
printf 'a name with a newline\n' >"$master/docs/new"$'\n'"line.txt"
printf 'a name that is not UTF-8 (latin-1 e-acute)\n' >"$master/docs/caf"$'\xe9'".txt"
head -c 1048576 /dev/urandom >"$master/random.bin"
ln -s docs/hello.txt "$master/link to hello"
ln "$master/docs/hello.txt" "$master/docs/hardlink to hello"
chmod 0640 "$master/docs/hello.txt"
chmod 0750 "$master/docs/sub dir"

echo "quickstart: georep sync --oneshot \"$master\" \"$slave\" --workdir \"$work\""
"$repo/bin/georep" sync --oneshot "$master" "$slave" --workdir "$work"

echo "quickstart: verifying with diff -r --no-dereference (the slave's .georep/ folder is the agent's own state)"
diff -r --no-dereference --exclude=.georep "$master" "$slave"
# diff compares content and symlink targets; also compare types and permission bits (below the
# roots: the slave root's own mode is the slave operator's, georep leaves it as it is).
modes() { (cd "$1" && find . -mindepth 1 -path ./.georep -prune -o -printf '%p %y %m\0' | sort -z | md5sum); }
if [ "$(modes "$master")" != "$(modes "$slave")" ]; then
  echo "quickstart: file types or permissions differ between master and slave" >&2
  exit 1
fi
if [ "$(stat -c %i "$slave/docs/hello.txt")" != "$(stat -c %i "$slave/docs/hardlink to hello")" ]; then
  echo "quickstart: the hardlink was not preserved on the slave" >&2
  exit 1
fi

cat <<DONE
quickstart: OK, the slave is an exact copy.
  master:  $master
  slave:   $slave
  workdir: $work   (session state; see README "Workdir layout")
Try: bin/georep config "$master" "$slave" --workdir "$work"
Keep it in step continuously: bin/georep start "$master" "$slave" --workdir "$work"
  then bin/georep status --workdir "$work", and bin/georep stop "$master" "$slave" --workdir "$work"
Remove it all with: rm -rf "$base"
DONE

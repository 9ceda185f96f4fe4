#!/usr/bin/env bash
# Writes the session folder of a live georep session made by an OLDER georep (a git commit),
# for the upgrade tests (test/cli/state-format.test.ts): a newer georep must open it in place.
#
#   scripts/make-state-fixture.sh COMMIT OUTDIR
#
# The session is left as an upgrade finds it: synced once, a checkpoint completed, a session
# option set, then the worker paused while the master changed, so changelogs are still pending,
# and stopped cleanly. Run files (pid, lock, log, watch cookies) are dropped. Needs rsync and the
# repository's node_modules (the old commit runs from source through tsx).
set -euo pipefail
commit=${1:?usage: make-state-fixture.sh COMMIT OUTDIR}
out=${2:?usage: make-state-fixture.sh COMMIT OUTDIR}
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d /tmp/georep-fixture-XXXXXX)
cleanup() {
  # The old georep stops its own session; this only catches a failed run.
  [ -n "${pidfile:-}" ] && [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

git -C "$repo" archive "$commit" | tar -x -C "$tmp" --one-top-level=src-old
ln -s "$repo/node_modules" "$tmp/src-old/node_modules"
georep() { (cd "$tmp/src-old" && node --import tsx src/cli/main.ts "$@" --workdir "$tmp/work"); }
wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local n=$(( $1 * 5 )); shift
  until "$@" >/dev/null 2>&1; do n=$((n - 1)); [ "$n" -gt 0 ] || { echo "timed out: $*" >&2; return 1; }; sleep 0.2; done
}

m="$tmp/m"; s="$tmp/s"
mkdir -p "$m/dir/sub"
printf 'one\n' >"$m/a.txt"; printf 'two\n' >"$m/dir/b.txt"; ln -s a.txt "$m/link"; ln "$m/a.txt" "$m/dir/hard"
georep config "$m" "$s" sync-jobs 2
georep config "$m" "$s" change-interval 1
georep start "$m" "$s"
pidfile=$(ls -d "$tmp"/work/sessions/*)/monitor.pid
wait_for 60 test -f "$s/dir/b.txt"
georep checkpoint set "$m" "$s" now
wait_for 60 sh -c "cd '$tmp/src-old' && node --import tsx src/cli/main.ts checkpoint status '$m' '$s' --workdir '$tmp/work' | grep -q completed"
georep pause "$m" "$s"
printf 'three\n' >"$m/c.txt"; mv "$m/dir/b.txt" "$m/dir/sub/b2.txt"; rm "$m/link"
sess=$(ls -d "$tmp"/work/sessions/*)
wait_for 30 sh -c "ls '$sess/changelogs' | grep -q CHANGELOG"
sleep 2 # one more rollover, so every change above is in a published changelog
georep stop "$m" "$s" # resumes the paused worker only to stop it: the changelogs stay pending
rm -rf "$sess"/{monitor.pid,lock,georep.log,watch-cookies,paused}
mkdir -p "$out"
cp -a "$sess"/. "$out"/
printf '%s\n' "$commit" >"$out/.made-by-commit"
echo "fixture: $out (from $commit)"; ls -la "$out" "$out/changelogs" 2>/dev/null || true

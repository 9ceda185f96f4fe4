// How a benchmark starts georep: as the installed command starts, by the first line of its
// dist/cli/main.js (node with V8's heap capped, src/monitor/heap-cap.ts), with the node flags
// of BENCH_NODE_ARGS (a profile's, for example) added. An older build's main.js (a baseline)
// runs by its own first line, so each build is timed as its operators run it.

import * as fs from 'node:fs';

/** BENCH_NODE_ARGS: node flags for every georep process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
export const BENCH_NODE_ARGS: readonly string[] = (process.env['BENCH_NODE_ARGS'] ?? '')
  .split(' ')
  .filter((a) => a !== '');

/** [node, its flags from main.js's first line, BENCH_NODE_ARGS, main.js]. */
export function georepCommand(mainJs: string, nodeArgs: readonly string[] = BENCH_NODE_ARGS): string[] {
  const first = fs.readFileSync(mainJs, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env (?:-S )?node((?: \S+)*)\s*$/.exec(first);
  if (m === null) throw new Error(`${mainJs}: its first line (${first}) is not "#!/usr/bin/env [-S] node [FLAGS]"`);
  const flags = (m[1] ?? '').split(' ').filter((a) => a !== '');
  return [process.execPath, ...flags, ...nodeArgs, mainJs];
}

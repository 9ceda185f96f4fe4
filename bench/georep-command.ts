// How a benchmark starts georep: as an operator does, through the launcher npm installs
// (bin/georep beside the build), or, given node flags in BENCH_NODE_ARGS (a profile's, for
// example), through node and the build's dist/cli/main.js; one list for every benchmark.

import fs from 'node:fs';
import path from 'node:path';

/** BENCH_NODE_ARGS: node flags for every georep process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
export const BENCH_NODE_ARGS: readonly string[] = (process.env['BENCH_NODE_ARGS'] ?? '')
  .split(' ')
  .filter((a) => a !== '');

/** [bin/georep] of the build `mainJs` belongs to; [node, BENCH_NODE_ARGS, main.js] with node flags, or without a launcher. */
export function georepCommand(mainJs: string, nodeArgs: readonly string[] = BENCH_NODE_ARGS): string[] {
  const launcher = path.resolve(path.dirname(mainJs), '..', '..', 'bin', 'georep');
  if (nodeArgs.length === 0 && fs.existsSync(launcher)) return [launcher];
  return [process.execPath, ...nodeArgs, mainJs];
}

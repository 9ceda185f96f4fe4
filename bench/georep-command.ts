// How a benchmark starts georep: node, the node flags of BENCH_NODE_ARGS (a profile's, for
// example), and the build's dist/cli/main.js, as one list for every benchmark.

/** BENCH_NODE_ARGS: node flags for every georep process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
export const BENCH_NODE_ARGS: readonly string[] = (process.env['BENCH_NODE_ARGS'] ?? '')
  .split(' ')
  .filter((a) => a !== '');

/** [node, BENCH_NODE_ARGS, main.js]. */
export function georepCommand(mainJs: string, nodeArgs: readonly string[] = BENCH_NODE_ARGS): string[] {
  return [process.execPath, ...nodeArgs, mainJs];
}

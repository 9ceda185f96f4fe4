// Bundles the two programs georep runs (dist/cli/main.js: the CLI, the monitor, the recorder and
// the worker; dist/cli/agent-main.js: the local slave agent) into one file each, with the code
// they share in chunk files beside them, over the per-module files tsc wrote for them.
//
// Why: Node loads an ES module graph file by file. The CLI is ~280 modules, and resolving and
// compiling them one by one took 0.1-0.2 s of every process start: of every command, of each
// of a daemon's processes, and of every connection to a remote slave (bench/README.md, "Process
// start-up"). Bundled, a start loads a few files.
//
// Invariants: the chunks stay in dist/cli/, the entries' folder, because modules find their
// files (conf/, systemd/, completion/, package.json, native/) relative to their own URL at the
// depth of dist/cli/. npm packages stay outside the bundle (better-sqlite3 and the addon are
// native; the others load as their authors ship them), but for those in BUNDLED. Dynamic imports
// stay dynamic: a command that never runs the master's pipeline never loads it.

import { build } from 'esbuild';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const OUT = 'dist/cli';

/**
 * Packages bundled all the same, with their own dependencies: pure JavaScript in many small
 * modules, whose loading costs more than their code. execa: 0.12-0.15 s as its ~60 ES modules,
 * 0.04 s bundled, paid by a live worker or a one-shot at its first transfer.
 */
const BUNDLED = new Set(['execa']);

/** Leaves every other package (and every builtin) to Node's loader at run time. */
const packagesExternal = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const parts = args.path.split('/');
      const pkg = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      if (BUNDLED.has(pkg) || args.importer.includes('/node_modules/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * A bundled CommonJS dependency (execa's cross-spawn) calls require(), which an ES module lacks:
 * each output file gets one of its own.
 */
const REQUIRE_BANNER =
  "import { createRequire as __georepCreateRequire } from 'node:module';\n" +
  'const require = __georepCreateRequire(import.meta.url);';
const CHUNK_PREFIX = 'chunk-';

// A build after a change leaves no chunk of the build before it (their names are content hashes).
for (const f of readdirSync(OUT)) if (f.startsWith(CHUNK_PREFIX)) rmSync(join(OUT, f));

await build({
  entryPoints: ['src/cli/main.ts', 'src/cli/agent-main.ts'],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [packagesExternal],
  banner: { js: REQUIRE_BANNER },
  chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
  sourcemap: 'linked',
  allowOverwrite: true,
  logLevel: 'warning',
});
// npm makes a package's bin executable on install; a checkout's build does it here.
chmodSync(join(OUT, 'main.js'), 0o755);

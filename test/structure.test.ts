// Structure: plain checks a reviewer can run on src/ (issue 16), with no dependency beyond Node.
// (a) No import cycles among src/ modules. (b) No source file over FILE_LINES lines unless its
// header says why it is long. Both read the source text; nothing is compiled or loaded.
//
// What counts as an import edge: every static `import … from './x.js'`, `export … from './x.js'`
// and side-effect `import './x.js'` with a relative specifier, `import { type A } from` included
// (under verbatimModuleSyntax it still loads the module). Left out, on purpose:
// - `import type … from` / `export type … from`: erased when compiled, so they order no module
//   evaluation; a cycle through them alone cannot leave a binding uninitialized.
// - dynamic `await import('./x.js')`: it runs after every static import has been evaluated, and
//   the CLI uses it on purpose to load a process body only in the process that runs it.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
/** STYLE.md: "a file over 400 needs a reason in review". */
const FILE_LINES = 400;
/** Where the reason must stand: the file's header. */
const HEADER_LINES = 30;
const REASON = 'Why this file is long:';

/** Every .ts file under src/, as paths relative to src/ with '/' separators. */
function sourceFiles(): string[] {
  return fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/**
 * The runtime import clauses of a module: `import X, { a } from`, `import * as X from`,
 * `export { a } from`, `export * from`, `import './x.js'`; type-only ones excluded (see header).
 * Anchored at a line start, so strings and comments that merely mention an import are ignored.
 */
const IMPORT_FROM =
  /^[ \t]*(import|export)[ \t]+(type[ \t]+)?((?:[\w$]+[ \t]*,[ \t]*)?(?:\{[^}]*\}|\*(?:[ \t]+as[ \t]+[\w$]+)?|[\w$]+))[ \t\n]+from[ \t]+['"]([^'"]+)['"]/gm;
const IMPORT_BARE = /^[ \t]*import[ \t]+['"]([^'"]+)['"]/gm;

/** The relative specifiers `text` imports at run time. */
export function runtimeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_FROM)) {
    const [, , typeOnly, , spec] = m;
    if (typeOnly === undefined && spec !== undefined) out.push(spec);
  }
  for (const m of text.matchAll(IMPORT_BARE)) if (m[1] !== undefined) out.push(m[1]);
  return out.filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/** The import graph of src/: file → files it imports (relative to src/, `.js` resolved to `.ts`). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    const deps: string[] = [];
    for (const spec of runtimeImports(text)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      // A specifier that names no file of src/ is the compiler's to refuse, not this check's.
      if (known.has(target)) deps.push(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** Each cycle found by a depth-first search, as the files along it (first repeated at the end). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('structure of src/', () => {
  const files = sourceFiles();

  it('finds the source files', () => {
    expect(files.length).to.be.greaterThan(100);
    expect(files).to.include('cli/main.ts');
  });

  it('has no import cycles', () => {
    const cycles = findCycles(importGraph(files)).map((c) => c.join(' -> '));
    expect(cycles, 'import cycles in src/ (type-only and dynamic imports excluded)').to.deep.equal([]);
  });

  it(`has no file over ${FILE_LINES} lines without "${REASON}" in its first ${HEADER_LINES} lines`, () => {
    const unexplained: string[] = [];
    for (const file of files) {
      const lines = fs.readFileSync(path.join(SRC, file), 'utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (lines.length <= FILE_LINES) continue;
      const header = lines.slice(0, HEADER_LINES).map((l) => l.replace(/^\s*(\/\/|\/?\*+)\s?/, ''));
      if (!header.some((l) => l.startsWith(REASON))) unexplained.push(`${file} (${lines.length} lines)`);
    }
    expect(unexplained, `files over ${FILE_LINES} lines with no "${REASON}" line in their header`).to.deep.equal([]);
  });
});

describe('structure checks themselves', () => {
  it('reads runtime imports and skips type-only ones', () => {
    const text = [
      "import fs from 'node:fs';",
      "import { a, type B } from './a.js';",
      'import {',
      '  c,',
      '  d,',
      "} from '../c.js';",
      "import type { E } from './e.js';",
      "export { f } from './f.js';",
      "export * from './g.js';",
      "export type { H } from './h.js';",
      "import * as i from './i.js';",
      "import './j.js';",
      "// import { k } from './k.js' in a comment is no import",
      "const l = await import('./l.js');",
    ].join('\n');
    expect(runtimeImports(text)).to.have.members(['./a.js', '../c.js', './f.js', './g.js', './i.js', './j.js']);
  });

  it('finds a cycle and only a cycle', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycles(graph)).to.deep.equal([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).to.deep.equal([]);
  });
});

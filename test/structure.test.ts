// Structure: plain checks a reviewer can run on src/ (issue 16), with no dependency beyond Node.
// (a) No import cycles among src/ modules. (b) No source file over FILE_LINES lines unless its
// header says why it is long. (c) Tests mirror src/: every module has a test of its own name, or
// test/MIRROR.md names the tests that exercise it (or says it has no behaviour of its own). All
// three read the source text; nothing is compiled or loaded.
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

const TEST = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(TEST, '..');
const SRC = path.join(REPO, 'src');
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

/**
 * Whether a module's text has behaviour of its own: a function, method, getter, arrow or class
 * body. Comments, strings, import/export-from clauses, interfaces and type aliases are removed
 * first, so a module of types, `as const` tables and re-exports has none. Used to hold
 * MIRROR.md's "no behaviour of its own" to the source text: a module that gains a body must
 * gain a test too.
 */
export function hasBehaviour(text: string): boolean {
  // One pass, so that a `//` inside a string or a quote inside a comment is read as what it is.
  let t = text
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (m) =>
      m.startsWith('/') ? '' : "''",
    )
    .replace(/^\s*(import|export)\b[^;]*?\bfrom\s*''\s*;?/gm, '')
    .replace(/^\s*import\s*''\s*;?/gm, '');
  // Interfaces (to their closing brace) and type aliases (to their `;` at bracket depth 0).
  const DECL = /\b(?:interface\s+[\w$]+[^{]*\{|type\s+[\w$]+\s*(?:<[^=]*>)?\s*=)/;
  for (let m = DECL.exec(t); m !== null; m = DECL.exec(t)) {
    const block = m[0].endsWith('{');
    let depth = block ? 1 : 0;
    let i = m.index + m[0].length;
    for (; i < t.length; i++) {
      const c = t[i];
      if (c === '{' || c === '(' || c === '[') depth++;
      else if (c === '}' || c === ')' || c === ']') {
        depth--;
        if (block && depth === 0) break;
      } else if (
        !block &&
        depth === 0 &&
        (c === ';' ||
          (c === '\n' && /^\s*(export|const|let|function|class|type|interface|declare)\b/.test(t.slice(i + 1))))
      )
        break;
    }
    t = t.slice(0, m.index) + t.slice(i + 1);
  }
  return /=>|\bfunction\b|\bclass\b|\)\s*(?::\s*[^{;=]*)?\{/.test(t);
}

/** The test file that mirrors a module's path: src/a/b.ts → test/a/b.test.ts. */
const mirrorOf = (srcFile: string): string => `test/${srcFile.replace(/^src\//, '').replace(/\.ts$/, '')}.test.ts`;

/**
 * The test of a module's own name: the one at its mirrored path, else one of its base name
 * elsewhere, unless that one sits at another module's mirrored path or the base name is shared
 * by several modules (test/cli/progress.test.ts is src/cli/progress.ts's, not src/verify/progress.ts's).
 */
export function sameNamedTest(
  srcFile: string,
  srcFiles: readonly string[],
  testFiles: readonly string[],
): string | undefined {
  if (testFiles.includes(mirrorOf(srcFile))) return mirrorOf(srcFile);
  const base = path.posix.basename(srcFile, '.ts');
  if (srcFiles.filter((s) => path.posix.basename(s, '.ts') === base).length !== 1) return undefined;
  const mirrored = new Set(srcFiles.map(mirrorOf));
  return testFiles.find((t) => path.posix.basename(t, '.test.ts') === base && !mirrored.has(t));
}

/** One row of test/MIRROR.md: a module, and the tests that exercise it or `none` (no behaviour). */
export interface MirrorRow {
  readonly line: number;
  readonly module: string;
  readonly tests: readonly string[] | 'none';
}

const NO_BEHAVIOUR = 'no behaviour of its own';

/** The table rows of MIRROR.md: `| \`src/…\` | \`test/….test.ts\`, … |` or `| \`src/…\` | no behaviour of its own |`. */
export function parseMirror(text: string): MirrorRow[] {
  const rows: MirrorRow[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /^\|\s*`(src\/[^`]+)`\s*\|(.*)\|\s*$/.exec(l);
    if (m === null) return;
    const cell = m[2] ?? '';
    const tests = [...cell.matchAll(/`(test\/[^`]+)`/g)].map((t) => t[1] ?? '');
    rows.push({
      line: i + 1,
      module: m[1] ?? '',
      tests: cell.includes(NO_BEHAVIOUR) && tests.length === 0 ? 'none' : tests,
    });
  });
  return rows;
}

/** What is wrong between src/, test/ and MIRROR.md, one line per problem (empty when all is well). */
export function mirrorProblems(
  srcFiles: readonly string[],
  testFiles: readonly string[],
  rows: readonly MirrorRow[],
  textOf: (srcFile: string) => string,
): string[] {
  const problems: string[] = [];
  const byModule = new Map<string, MirrorRow>();
  for (const r of rows) {
    const where = `MIRROR.md:${r.line} ${r.module}`;
    if (byModule.has(r.module)) problems.push(`${where}: listed twice`);
    byModule.set(r.module, r);
    if (!srcFiles.includes(r.module)) {
      problems.push(`${where}: no such module (remove the row)`);
      continue;
    }
    const own = sameNamedTest(r.module, srcFiles, testFiles);
    if (own !== undefined) problems.push(`${where}: has a test of its own name, ${own} (remove the row)`);
    if (r.tests === 'none') {
      if (hasBehaviour(textOf(r.module)))
        problems.push(`${where}: says "${NO_BEHAVIOUR}" but has a function or method body`);
    } else if (r.tests.length === 0) {
      problems.push(`${where}: names no test file and does not say "${NO_BEHAVIOUR}"`);
    }
    for (const t of r.tests === 'none' ? [] : r.tests)
      if (!testFiles.includes(t)) problems.push(`${where}: names ${t}, which does not exist`);
  }
  for (const s of srcFiles) {
    if (!byModule.has(s) && sameNamedTest(s, srcFiles, testFiles) === undefined) {
      problems.push(`${s}: no test of its name (${mirrorOf(s)}) and no row in test/MIRROR.md`);
    }
  }
  return problems;
}

/** Every *.test.ts under test/, relative to the repo with '/' separators. */
function testFiles(): string[] {
  return fs
    .readdirSync(TEST, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/${f.split(path.sep).join('/')}`)
    .sort();
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

  it("has tests that mirror it: a test of each module's name, or a row in test/MIRROR.md", () => {
    const rows = parseMirror(fs.readFileSync(path.join(TEST, 'MIRROR.md'), 'utf8'));
    const src = files.map((f) => `src/${f}`);
    const problems = mirrorProblems(src, testFiles(), rows, (f) => fs.readFileSync(path.join(REPO, f), 'utf8'));
    expect(problems, 'src/ modules against test/ and test/MIRROR.md').to.deep.equal([]);
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

  it('tells behaviour from types, tables and re-exports', () => {
    const none = [
      "export * from './a.js';\nexport { b } from './b.js';",
      "import type { X } from './x.js';\nexport type F = (x: X) => void;\nexport type U =\n  | { readonly a: 1 }\n  | { readonly b: (n: number) => string };",
      'export interface I extends J {\n  run(signal: AbortSignal): Promise<void>;\n  readonly cb: () => void;\n}',
      "export const KINDS = ['a', 'b'] as const;\nexport type Kind = (typeof KINDS)[number];\nexport const LIMIT = { n: 1 } as const;",
      "// function f() { return 1; } in a comment\nexport const ARROW = '=> function class';",
    ];
    const some = [
      'export function f(): number {\n  return 1;\n}',
      'export const f = (n: number): number => n + 1;',
      'export class C {}',
      "export type T = 'a';\nexport const table = { get(k: string) { return k; } };",
    ];
    expect(none.map(hasBehaviour)).to.deep.equal(none.map(() => false));
    expect(some.map(hasBehaviour)).to.deep.equal(some.map(() => true));
  });

  it('holds MIRROR.md to src/ and test/', () => {
    const src = ['src/a/x.ts', 'src/a/y.ts', 'src/b/y.ts', 'src/c/z.ts', 'src/c/t.ts', 'src/c/u.ts', 'src/c/w.ts'];
    const tests = ['test/a/x.test.ts', 'test/a/y.test.ts', 'test/other/z.test.ts', 'test/e2e/big.test.ts'];
    const body: Record<string, string> = { 'src/c/t.ts': 'export type T = 1;', 'src/c/u.ts': 'export function u() {}' };
    const table = [
      '| Module | Exercised by |',
      '| `src/c/t.ts` | no behaviour of its own: types only |',
      '| `src/c/u.ts` | no behaviour of its own |',
      '| `src/c/w.ts` | `test/e2e/big.test.ts`, `test/e2e/gone.test.ts` (a note) |',
      '| `src/c/z.ts` | `test/e2e/big.test.ts` |',
      '| `src/c/gone.ts` | `test/e2e/big.test.ts` |',
    ].join('\n');
    const problems = mirrorProblems(src, tests, parseMirror(table), (f) => body[f] ?? '');
    expect(problems).to.deep.equal([
      'MIRROR.md:3 src/c/u.ts: says "no behaviour of its own" but has a function or method body',
      'MIRROR.md:4 src/c/w.ts: names test/e2e/gone.test.ts, which does not exist',
      'MIRROR.md:5 src/c/z.ts: has a test of its own name, test/other/z.test.ts (remove the row)',
      'MIRROR.md:6 src/c/gone.ts: no such module (remove the row)',
      // y.ts is the name of two modules: test/a/y.test.ts is src/a/y.ts's only
      'src/b/y.ts: no test of its name (test/b/y.test.ts) and no row in test/MIRROR.md',
    ]);
    expect(sameNamedTest('src/a/y.ts', src, tests)).to.equal('test/a/y.test.ts');
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

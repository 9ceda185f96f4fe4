// Self command: the argv that starts this same georep CLI again (for `georep slave`).
// Invariant: it works from any working directory (a bare or relative --import is made
// absolute) and never re-opens a debugger port (--inspect* is dropped).

import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader']);
const INSPECT_FLAG = /^--inspect(-brk|-port|-wait)?(=|$)/;

/**
 * @param resolveSpecifier resolves a bare module specifier as the main script would
 *   (import.meta.resolve there), returning a file: URL
 */
export function selfCommand(
  execPath: string,
  execArgv: readonly string[],
  script: string,
  cwd: string,
  resolveSpecifier: (specifier: string) => string,
): string[] {
  const args: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? '';
    if (INSPECT_FLAG.test(arg)) continue;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (LOADER_FLAGS.has(flag)) {
      const value = eq === -1 ? execArgv[++i] : arg.slice(eq + 1);
      if (value !== undefined) args.push(flag, portableSpecifier(value, cwd, resolveSpecifier));
      continue;
    }
    args.push(arg);
  }
  return [execPath, ...args, script];
}

function portableSpecifier(spec: string, cwd: string, resolveSpecifier: (s: string) => string): string {
  if (/^(file|node|data):/.test(spec) || isAbsolute(spec)) return spec;
  if (spec.startsWith('./') || spec.startsWith('../')) return pathToFileURL(resolve(cwd, spec)).href;
  try {
    return resolveSpecifier(spec);
  } catch (e) {
    // Not resolvable from georep's own folder: keep it as given (it still works from `cwd`).
    if (typeof e === 'object' && e !== null && 'code' in e && e.code === 'ERR_MODULE_NOT_FOUND') return spec;
    throw e;
  }
}

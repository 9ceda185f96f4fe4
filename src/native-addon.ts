// The native addon (native/georep_fs.c, built at install by node-gyp): where it is, and loading
// it. The slave agent needs it for safety and refuses to run without it (slave/fs-at.ts); the
// master uses it for speed where it is there (changelog/dir-stats.ts) and falls back to node:fs.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where node-gyp puts the addon, relative to the repository. */
export const NATIVE_FILE = join('native', 'build', 'Release', 'georep_fs.node');

/** The addon in the repository this module runs from (as src/, dist/ or dist-test/src/). */
export function addonFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', NATIVE_FILE), join(here, '..', '..', NATIVE_FILE)];
  return candidates.find((f) => existsSync(f)) ?? join(here, '..', NATIVE_FILE);
}

/** Loads the addon at `file`; throws what require threw (a missing or foreign build). */
export function requireAddon(file = addonFile()): unknown {
  return createRequire(import.meta.url)(file);
}

/** The addon, or undefined when it cannot be loaded here (for callers that have a fallback). */
export function tryLoadAddon(): unknown {
  try {
    return requireAddon();
  } catch {
    return undefined;
  }
}

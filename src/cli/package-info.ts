// The installed georep's own package.json: its version, for --version, the man page and the
// session state marker. Resolved next to the code (src/ under tsx, dist/ when built or installed).

import { readFileSync } from 'node:fs';

const PACKAGE_URL = new URL('../../package.json', import.meta.url);

/** The version in package.json, or 'unknown' when it cannot be read (never fatal). */
export function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(PACKAGE_URL, 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown'; // a --version or a marker must not fail on a broken install's package.json
  }
}

// runCli: parses argv, runs one verb and turns its outcome into an exit code. Invariant: a
// GeorepError prints `georep: <message>` on one line; anything else is an internal error; a
// stack trace appears only with GEOREP_DEBUG=1.

import { CommanderError } from 'commander';
import { isGeorepError } from '../errors.js';
import type { CliContext, CliIo } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { normalizeBoolFlags } from './flags.js';
import { displayText } from './format.js';
import { loadSchema } from './options.js';
import { buildProgram } from './program.js';

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  try {
    const schema = loadSchema();
    const ctx: CliContext = { io, schema, setExit: (code) => void (exitCode = code) };
    await buildProgram(ctx).parseAsync(normalizeBoolFlags(argv, schema), { from: 'user' });
    return exitCode;
  } catch (e) {
    return reportError(e, io);
  }
}

/** Prints an error the way the CLI promises (one line; stack only with GEOREP_DEBUG=1) and picks the exit code. */
export function reportError(e: unknown, io: Pick<CliIo, 'stderr' | 'env'>): ExitCode {
  // commander has already printed its own message (unknown option, missing argument, help).
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  // INTERNAL is a bug a check caught: reported as any other bug.
  if (isGeorepError(e) && e.code !== 'INTERNAL') {
    io.stderr.write(`georep: ${displayText(e.message)}\n`);
    if (io.env.debug) io.stderr.write(`${details(e)}\n`);
    return exitCodeFor(e.code);
  }
  const message = e instanceof Error ? e.message : String(e);
  io.stderr.write(`georep: internal error: ${displayText(message)}; rerun with GEOREP_DEBUG=1 for details\n`);
  if (io.env.debug) io.stderr.write(`${details(e)}\n`);
  return EXIT.internal;
}

/** The stack, then each `cause` in turn. */
function details(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && depth < MAX_CAUSES; depth++) {
    parts.push(cur instanceof Error ? (cur.stack ?? cur.message) : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join('\nCaused by: ');
}

const MAX_CAUSES = 8;

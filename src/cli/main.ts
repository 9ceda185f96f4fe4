#!/usr/bin/env node
// georep entry point: captures the process's inputs once (argv, env, streams, signals) and
// hands them to runCli. Invariant: the only module that touches process.env and process.exit.
// `slave-gate` (a restricted key's forced command, started by sshd for every rsync stream) is
// dispatched before the CLI's modules load: see slave-gate.ts.

import { fstatSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { homedir } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../clock.js';
import { GeorepError } from '../errors.js';
import type { CliIo } from './context.js';
import { readStartupEnv } from './env.js';
import { EXIT } from './exit-codes.js';
import { selfCommand } from './self-command.js';
import { SLAVE_GATE_VERB, runSlaveGate } from './slave-gate.js';
import { parseAgentArgs } from './agent-args.js';
import { DAEMON_HEAP_DEFAULT_MIB } from '../monitor/heap-cap.js';
import { heapCapGiven, heapCappedAlready, isOneshotSync, rerunUnderHeapCap } from './heap-cap-rerun.js';

/** How long a finished run waits for stray handles (a child's pipe, a timer) before exiting anyway. */
const EXIT_GRACE_MS = 2000;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function trapSignals(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    controller.abort(new GeorepError('ABORTED', `stopped by ${name}; a second ${name} stops at once`));
  };
  // once: a second Ctrl-C falls through to Node's default and ends the process immediately.
  // SIGHUP (the terminal closed) stops as they do: Node's default would end the process at
  // once and leave its rsync running.
  for (const sig of STOP_SIGNALS) process.once(sig, onSignal);
  return {
    signal: controller.signal,
    release: () => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    },
  };
}

/**
 * Keeps a write error on stdout from crashing the CLI (Node ignores SIGPIPE, so a closed pipe
 * is an EPIPE 'error' event, unhandled a stack trace) and turns it into CliIo.outputGone. A
 * closed pipe is the reader's choice (`| head`); any other error (a full disk, EIO) loses output
 * the user asked for, and `failure` says so for the exit code.
 */
function watchStdout(): { readonly gone: AbortSignal; failure(): string | undefined } {
  const gone = new AbortController();
  let failure: string | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') failure ??= `could not write the output (${e.code ?? e.message}): it is incomplete`;
    gone.abort(new GeorepError('ABORTED', failure ?? 'the program reading the output stopped reading (a closed pipe)'));
  });
  return { gone: gone.signal, failure: () => failure };
}

/** V8's heap limit of this process, MiB. */
const heapLimitMiB = (): number => getHeapStatistics().heap_size_limit / 2 ** 20;

/** How to run the entry at `url` the way this process runs (same Node, flags and loader). */
const commandFor = (url: URL): readonly string[] =>
  selfCommand(process.execPath, process.execArgv, fileURLToPath(url), process.cwd(), (s) => import.meta.resolve(s));
/** How to run this CLI again (reruns, services, the monitor's workers). */
const thisCommand = (): readonly string[] => commandFor(new URL(import.meta.url));

const argv = process.argv.slice(2);
const agentArgs = argv[0] === 'slave' ? parseAgentArgs(argv.slice(1)) : undefined;
if (agentArgs !== undefined) {
  // What a master runs over ssh: the agent alone, without the CLI around it (0.1 s less per
  // connection; agent-args.ts). Any other `slave` line goes to the CLI below.
  const { runAgentProcess } = await import('./agent-run.js');
  process.exit(await runAgentProcess(agentArgs));
} else if (argv[0] === SLAVE_GATE_VERB) {
  const code = await runSlaveGate(argv.slice(1), {
    request: process.env['SSH_ORIGINAL_COMMAND'],
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    trapStop: () => trapSignals().signal,
  });
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
} else if (
  isOneshotSync(argv) &&
  !heapCapGiven(process.execArgv) &&
  !heapCappedAlready(heapLimitMiB(), DAEMON_HEAP_DEFAULT_MIB)
) {
  // Before the CLI's modules load, so the rerun costs one bare Node start (see heap-cap-rerun.ts).
  // A process started capped (a rerun under another daemon-heap) goes on: cmd-sync decides.
  const code = await rerunUnderHeapCap(
    {
      selfCommand: thisCommand(),
      argv,
      stderr: process.stderr,
    },
    DAEMON_HEAP_DEFAULT_MIB,
  );
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
} else {
  // Loaded here, not above: the gate needs none of the CLI.
  const [{ isJournalStream }, { runCli }] = await Promise.all([import('../log.js'), import('./run.js')]);
  const env = readStartupEnv(process.env, process.getuid?.(), homedir());
  const stdout = watchStdout();

  const io: CliIo = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: process.stderr.isTTY === true,
    stderrIsJournal: isJournalStream(env.journalStream, () => fstatSync(2, { bigint: true })),
    env,
    selfCommand: thisCommand(),
    // The agent's slim entry beside this file (.ts from source under tsx, .js when built).
    agentCommand: commandFor(new URL(`./agent-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url)),
    argv,
    heapLimitMiB: heapLimitMiB(),
    clock: systemClock,
    outputGone: stdout.gone,
    trapSignals,
  };

  let code = await runCli(argv, io);
  // Once what was written has gone out (or failed): a write error comes after the write.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  const lost = stdout.failure();
  if (lost !== undefined && code === EXIT.ok) {
    process.stderr.write(`georep: ${lost}\n`);
    code = EXIT.syncFailed;
  }
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

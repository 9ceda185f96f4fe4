// Heap-cap rerun: a one-shot sync runs its work in a child of this CLI whose V8 heap is capped at
// daemon-heap, as the monitor caps its children, unless this process is capped already.
//
// Why a child: V8 sizes its heap limit when the process starts (v8.setFlagsFromString cannot
// lower it later), and without a cap it lets the heap grow lazily far past what is live. A
// one-shot first sync of 200k files peaked at 310 MiB RSS in the master whose live heap was a
// few tens of MiB; capped (--max-old-space-size=128 --max-semi-space-size=2) the whole sync
// stayed under the 300 MB the scale target allows. The price is one more Node start: the entry
// (main.ts) reruns under daemon-heap's default before loading the CLI's modules; a session
// configured with another daemon-heap is rerun once more by cmd-sync, which reads the config.
// The command npm installs, bin/georep, is a shell script that starts a one-shot capped at the
// default already and stays its parent the same way (a shell costs milliseconds where a Node
// parent costs 0.1 s): this rerun is for `node dist/cli/main.js` and for another daemon-heap.
//
// The child runs in its own process group with an IPC channel (as the monitor's children): a
// terminal's Ctrl-C reaches this process only, which passes each SIGINT/SIGTERM/SIGHUP on once,
// so "a second SIGINT stops at once" keeps its meaning; and the child stops when this process
// dies, even by SIGKILL (exitWhenParentGone). A signal sent to both at once (systemd stopping a
// unit's whole cgroup, pkill) reaches the child twice and stops it at once instead of after its
// current step: as safe as any kill of a sync (nothing confirmed that did not land), less tidy.

import { spawn } from 'node:child_process';
import { withHeapCap } from '../monitor/heap-cap.js';
import { exitWhenParentGone } from '../monitor/parent-watch.js';
import type { CliIo } from './context.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';

/**
 * V8's heap limit also counts the young generation (3 semi-spaces, 48 MiB at Node's default):
 * a process whose limit is within this of the cap is capped already (the child itself, or a
 * user's own --max-old-space-size), and runs the work itself.
 */
const YOUNG_ALLOWANCE_MIB = 64;

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** `georep sync … --oneshot …`: the verb whose work a rerun caps (the daemon's children are capped by the monitor). */
export function isOneshotSync(argv: readonly string[]): boolean {
  return argv[0] === 'sync' && argv.includes('--oneshot');
}

/**
 * Whether this process was started with a heap cap on its command line (by a rerun, which
 * always gives one, or by the operator). The entry's rerun under daemon-heap's default is for
 * a process started without one: a rerun under a daemon-heap configured far from the default
 * would otherwise be rerun under the default again, and back, without end.
 */
export function heapCapGiven(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => a.startsWith('--max-old-space-size='));
}

/**
 * True when this process should run the work itself: its heap limit is the cap's (the rerun
 * child, or a user's own --max-old-space-size near it). One far above the cap is uncapped; one
 * below it would run out where the operator raised daemon-heap to avoid just that.
 */
export function heapCappedAlready(heapLimitMiB: number, capMiB: number): boolean {
  return heapLimitMiB >= capMiB && heapLimitMiB <= capMiB + YOUNG_ALLOWANCE_MIB;
}

/**
 * Runs this same CLI invocation again in a heap-capped child and resolves with its exit code.
 * A child killed by a signal is an error exit; SIGABRT is what V8 does at its heap limit.
 */
export function rerunUnderHeapCap(
  io: Pick<CliIo, 'selfCommand' | 'argv' | 'stderr'>,
  capMiB: number,
): Promise<ExitCode> {
  const [file, ...args] = [...withHeapCap(io.selfCommand, capMiB), ...io.argv];
  return new Promise((resolve) => {
    // Started by bin/georep, which then died: the sync stops as it would under this process.
    // Watched before the spawn, which must not pass the launcher's pid on as its parent's.
    // (It fires on a later tick, once `pass` below exists.)
    const unwatch = exitWhenParentGone(() => pass('SIGTERM'));
    const child = spawn(file as string, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
    const pass = (sig: NodeJS.Signals): void => void child.kill(sig);
    for (const sig of FORWARDED) process.on(sig, pass);
    const done = (code: ExitCode): void => {
      unwatch();
      for (const sig of FORWARDED) process.removeListener(sig, pass);
      resolve(code);
    };
    child.on('error', (e) => {
      io.stderr.write(`georep: cannot start the heap-capped sync process (${e.message}); check that ${file} runs\n`);
      done(EXIT.internal);
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGABRT') {
        io.stderr.write(
          `georep: the sync ran out of its ${capMiB} MiB heap (daemon-heap) and stopped; nothing was lost. ` +
            'Raise it (georep config MASTER SLAVE daemon-heap 512) and run the sync again\n',
        );
        done(EXIT.internal);
      } else if (signal !== null) done(EXIT.interrupted);
      else done(code as ExitCode);
    });
  });
}

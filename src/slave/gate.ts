// The gate: what a restricted session key may run on the slave host. sshd runs
// `georep slave-gate ROOT` instead of whatever the client asked for, and hands the request over
// in SSH_ORIGINAL_COMMAND; this module decides on it. Invariant: exactly the commands a master
// of this ROOT issues pass, each pinned to ROOT: the agent for ROOT itself, and rsync writing
// into ROOT's state folder (staging boxes and the seed folder) through rrsync, rsync's own
// restricted wrapper. Anything else is refused with one line that says why.
//
// Not passed, on purpose:
// - rsync with --protect-args (-s): the paths would travel inside the rsync protocol, where no
//   wrapper can check them (rrsync refuses -s for the same reason). The master does not send it
//   (rsync's own argument escaping carries the one path on the command line).
// - rsync as a sender (--sender): the master only ever writes to the slave.
// - tar (sync-method tarssh): GNU tar follows a symlink that already stands in its target folder
//   (checked: tar 1.34 wrote `evil/x` through `evil -> /elsewhere`), and the same key can put one
//   there; tar has no option to refuse it. rsync 3.5 does refuse it (ELOOP), so a restricted
//   key syncs with sync-method rsync.

import path from 'node:path';
import { LOG_LEVELS } from '../config.js';
import type { LogLevel } from '../config.js';
import { GeorepError } from '../errors.js';
import { splitShellWords } from './shell-words.js';
import { SLAVE_STATE_DIR, SLAVE_STATE_FILES } from '../session-files.js';

/**
 * The subfolders of the slave's state folder (SLAVE_STATE_DIR) a master sends data into, the
 * only places rsync may write: staging boxes, the seed copy.
 */
const WRITABLE = [SLAVE_STATE_FILES.staging, SLAVE_STATE_FILES.seed] as const;

/** What the gate runs for an accepted request. */
export type GatedCommand =
  | {
      readonly kind: 'agent';
      readonly root: string;
      readonly logLevel: LogLevel | undefined;
      readonly idleTimeoutS: number | undefined;
    }
  | {
      readonly kind: 'rsync';
      /** rrsync's restricted folder: ROOT's state folder. */
      readonly dir: string;
      /** The request as rrsync reads it (SSH_ORIGINAL_COMMAND), with the path made relative to `dir`. */
      readonly command: string;
    };

function refuse(why: string): GeorepError {
  return new GeorepError('GATE_REFUSED', `slave-gate: refused: ${why}`);
}

/** A path as the gate compares it: normalized, no trailing slash. */
function norm(p: string): string {
  return path.posix.normalize(p).replace(/(.)\/+$/, '$1');
}

/** Option words that re-join exactly: rrsync splits the line it is given on whitespace. */
const PLAIN_WORD = /^[A-Za-z0-9_.,=:+@%/-]+$/;

/**
 * Judges one request. `original` is SSH_ORIGINAL_COMMAND (undefined: an interactive login),
 * `root` the ROOT the key is pinned to (as the authorized_keys line names it), `realRoot` the
 * same folder with symlinks resolved (the agent reports its staging folder from there).
 */
export function judgeRemoteCommand(original: string | undefined, root: string, realRoot: string): GatedCommand {
  if (original === undefined || original.trim() === '')
    throw refuse('no command given: this key runs only georep for its slave root, not a shell');
  let words: string[];
  try {
    words = splitShellWords(original);
  } catch (e) {
    if (e instanceof GeorepError) throw refuse(e.message);
    throw e;
  }
  const program = path.posix.basename(words[0] ?? '');
  if (program === 'rsync') return judgeRsync(words, root, realRoot);
  if (program === 'tar')
    throw refuse(
      'tar is not allowed through a restricted key (GNU tar follows symlinks already in its target folder); use sync-method rsync',
    );
  const verb = words.indexOf('slave');
  if (verb > 0) return judgeAgent(words.slice(verb + 1), root);
  throw refuse(`${JSON.stringify(words[0] ?? '')} is not a command this key may run (only georep slave and rsync)`);
}

/** `… slave [--log-level L] [--idle-timeout N] -- ROOT`, ROOT being the pinned one. */
function judgeAgent(args: readonly string[], root: string): GatedCommand {
  let logLevel: LogLevel | undefined;
  let idleTimeoutS: number | undefined;
  let i = 0;
  for (; i < args.length && args[i] !== '--'; i += 2) {
    const [opt, value = ''] = [args[i], args[i + 1]];
    if (opt === '--log-level') {
      logLevel = LOG_LEVELS.find((l) => l === value);
      if (logLevel === undefined) throw refuse(`--log-level ${JSON.stringify(value)}`);
    } else if (opt === '--idle-timeout' && /^[1-9][0-9]{0,6}$/.test(value)) idleTimeoutS = Number(value);
    else throw refuse(`georep slave option ${JSON.stringify(opt)} is not allowed through this key`);
  }
  const rest = args.slice(i + 1);
  if (args[i] !== '--' || rest.length !== 1) throw refuse('georep slave takes exactly -- ROOT here');
  const asked = rest[0] as string;
  if (!asked.startsWith('/') || norm(asked) !== norm(root))
    throw refuse(`this key serves the slave root ${root} only, not ${asked}`);
  return { kind: 'agent', root: norm(root), logLevel, idleTimeoutS };
}

/**
 * `rsync --server [options] . PATH`, receiving, PATH in ROOT's state folder. Handed to rrsync
 * with the state folder as its restricted folder and PATH made relative to it, so rrsync
 * checks (and pins) the path and the options a second time, in rsync's own terms.
 */
function judgeRsync(words: readonly string[], root: string, realRoot: string): GatedCommand {
  if (words[0] !== 'rsync' || words[1] !== '--server') throw refuse('rsync must run as "rsync --server …"');
  const dot = words.indexOf('.', 2);
  if (dot < 0) throw refuse('not an rsync server command line');
  const options = words.slice(2, dot).map(spellForRrsync);
  for (const o of options) {
    if (!PLAIN_WORD.test(o)) throw refuse(`rsync option ${JSON.stringify(o)}`);
    if (o === '--sender') throw refuse('this key only writes to the slave (rsync --sender)');
    // Short options: letters, then (from "e") rsync's capability string, which is no option.
    if (!o.startsWith('--') && o.replace(/e\d*\.\w*$/, '').includes('s'))
      throw refuse('rsync --protect-args hides its paths from the gate; the master does not send it');
  }
  const targets = words.slice(dot + 1);
  if (targets.length !== 1) throw refuse('rsync must name exactly one destination');
  const target = targets[0] as string;
  const rel = stateRelative(target, root) ?? stateRelative(target, realRoot);
  if (rel === undefined)
    throw refuse(
      `rsync may write only into ${path.posix.join(root, SLAVE_STATE_DIR)}/{${WRITABLE.join(',')}}, not ${target}`,
    );
  const dir = path.posix.join(realRoot, SLAVE_STATE_DIR);
  return { kind: 'rsync', dir, command: ['rsync', '--server', ...options, '.', rel].join(' ') };
}

/**
 * rsync sends --modify-window=-1 (nanosecond mtimes, crawl jobs) to the server as "-@-1", which
 * rrsync's pattern for a short option with a number (no sign) rejects; the long spelling is the
 * same option, and rrsync takes it.
 */
function spellForRrsync(option: string): string {
  const window = /^-@(-?\d+)$/.exec(option);
  return window === null ? option : `--modify-window=${window[1] ?? ''}`;
}

/** `target` relative to ROOT's state folder when it lies in one of its writable subfolders. */
function stateRelative(target: string, root: string): string | undefined {
  if (!target.startsWith('/')) return undefined;
  const state = norm(path.posix.join(root, SLAVE_STATE_DIR));
  const t = norm(target);
  if (!t.startsWith(state + '/')) return undefined;
  const rel = t.slice(state.length + 1);
  const first = rel.split('/')[0] ?? '';
  if (!(WRITABLE as readonly string[]).includes(first)) return undefined;
  // Plain names only: what reaches rrsync must need no quoting and hold no "..".
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(rel) || rel.split('/').includes('..')) return undefined;
  return target.endsWith('/') ? rel + '/' : rel;
}

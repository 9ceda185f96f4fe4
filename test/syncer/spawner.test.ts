// ExecaSpawner: NUL-terminated stdin from a generator, exit codes as values, and abort that
// kills the whole process group (a grandchild holding stdout would otherwise hang the run).

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasErrno } from '../../src/errors.js';
import { KILL_GRACE_MS } from '../../src/syncer/constants.js';
import { ExecaSpawner, nulTerminated } from '../../src/syncer/spawner.js';
import { entryNamed } from './support/procs.js';

/** False once the process is gone or a zombie (reaped or not, it holds no pipe). */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ESRCH')) return false;
    throw e;
  }
}

/**
 * Milliseconds from `t0` until `pid` is dead, polled for up to twice KILL_GRACE_MS. The group's
 * signal is sent at once, but a loaded machine may not yet have run the grandchild to its death
 * when sh's exit resolves the run (CI saw `tail` alive right after the run resolved).
 */
async function msUntilDead(pid: number, t0: bigint): Promise<number> {
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  while (isAlive(pid) && elapsed() < 2 * KILL_GRACE_MS) await new Promise((r) => setTimeout(r, 5));
  return isAlive(pid) ? Infinity : elapsed();
}

describe('ExecaSpawner', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-spawner-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('streams NUL-terminated names from a generator to stdin', async () => {
    const out = await new ExecaSpawner().run(
      { file: 'tr', args: ['\\0', '|'] },
      { stdin: nulTerminated(['a\nb', 'c d']) },
    );
    expect(out.exitCode).to.equal(0);
    expect(out.stdout).to.equal('a\nb|c d|');
  });

  it('streams raw-byte names (Buffers) NUL-terminated, bytes unchanged', async () => {
    const names = [Buffer.from('dir/a\nb'), Buffer.of(0x66, 0xff, 0xfe), Buffer.from('plain')];
    const want = Buffer.concat(names.flatMap((n) => [n, Buffer.of(0)]));
    // od prints the bytes the child read as hex: no text decoding on the way.
    const out = await new ExecaSpawner().run(
      { file: 'od', args: ['-An', '-tx1', '-v'] },
      { stdin: nulTerminated(names) },
    );
    expect(out.stdout.replace(/\s+/g, '')).to.equal(want.toString('hex'));
  });

  it('reports a failing exit and a missing executable as values, not throws', async () => {
    const spawner = new ExecaSpawner();
    const failed = await spawner.run({ file: 'sh', args: ['-c', 'echo oops >&2; exit 3'] });
    expect(failed.exitCode).to.equal(3);
    expect(failed.stderr).to.equal('oops');
    const missing = await spawner.run({ file: path.join(dir, 'nope'), args: [] });
    expect(missing.exitCode).to.equal(undefined);
    expect(missing.startError).to.be.a('string');
  });

  /** Starts `sh` with a grandchild that holds stdout; resolves its pid once it exists. */
  async function withGrandchild(spawner: ExecaSpawner, shPrefix: string, signal: AbortSignal) {
    const pidFile = path.join(dir, 'pid');
    // Written aside and renamed, so the file is complete when it appears.
    const script = `${shPrefix} tail -f /dev/null & echo $! > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; wait`;
    const running = spawner.run({ file: 'sh', args: ['-c', script] }, { signal });
    await entryNamed(dir, 'pid');
    return { running, pid: Number(fs.readFileSync(pidFile, 'utf8')) };
  }

  it('abort kills the whole process group, grandchildren included, at once', async () => {
    const ac = new AbortController();
    const { running, pid } = await withGrandchild(new ExecaSpawner(), '', ac.signal);
    expect(isAlive(pid)).to.equal(true);
    const t0 = process.hrtime.bigint();
    ac.abort();
    const out = await running;
    expect(out.aborted).to.equal(true);
    expect(out.exitCode).to.equal(undefined);
    // Dying later than the grace period would mean the SIGKILL escalation, not the SIGTERM.
    expect(await msUntilDead(pid, t0)).to.be.lessThan(KILL_GRACE_MS);
  });

  it('escalates to SIGKILL after the grace period when the group ignores SIGTERM', async () => {
    const ac = new AbortController();
    const { running, pid } = await withGrandchild(new ExecaSpawner({ killGraceMs: 50 }), 'trap "" TERM;', ac.signal);
    ac.abort();
    const out = await running;
    expect(out.aborted).to.equal(true);
    expect(out.signal).to.equal('SIGKILL');
    expect(await msUntilDead(pid, process.hrtime.bigint())).to.be.lessThan(KILL_GRACE_MS);
  });

  it('does not start at all when the signal is already aborted', async () => {
    const out = await new ExecaSpawner().run({ file: 'true', args: [] }, { signal: AbortSignal.abort() });
    expect(out.aborted).to.equal(true);
    expect(out.startError).to.be.a('string');
  });

  it('pipes source into dest without buffering the stream', async () => {
    const out = await new ExecaSpawner().pipe({ file: 'printf', args: ['abc'] }, { file: 'tr', args: ['a-z', 'A-Z'] });
    expect(out.source.exitCode).to.equal(0);
    expect(out.dest.stdout).to.equal('ABC');
  });
});

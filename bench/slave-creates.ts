// Slave agent throughput: 50,000 CREATEs (an initial sync's entry phase) in batches of
// LIMITS.opsPerBatch through runAgent in-process. Run: node --import tsx bench/slave-creates.ts

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ROOT_GFID, asGfid, escapeName } from '../src/changelog/index.js';
import type { Gfid } from '../src/changelog/index.js';
import { silentLogger } from '../src/log.js';
import { LIMITS, SlaveClient, runAgent } from '../src/slave/index.js';
import type { EntryOp } from '../src/slave/index.js';

const FILES = Number(process.argv[2] ?? 50_000);
const PER_DIR = 1000;

function gfid(): Gfid {
  const g = asGfid(randomUUID());
  if (g === undefined) throw new Error('no gfid');
  return g;
}

function plan(): EntryOp[][] {
  const all: EntryOp[] = [];
  let dir = ROOT_GFID;
  for (let i = 0; i < FILES; i++) {
    if (i % PER_DIR === 0) {
      const d = gfid();
      all.push({
        op: 'MKDIR',
        gfid: d,
        entry: { pargfid: ROOT_GFID, name: `d${i / PER_DIR}` },
        mode: 0o40755,
        uid: 0,
        gid: 0,
      });
      dir = d;
    }
    all.push({
      op: 'CREATE',
      gfid: gfid(),
      entry: { pargfid: dir, name: escapeName(Buffer.from(`file ${i}.txt`)) },
      mode: 0o100644,
      uid: 0,
      gid: 0,
    });
  }
  const batches: EntryOp[][] = [];
  for (let i = 0; i < all.length; i += LIMITS.opsPerBatch) batches.push(all.slice(i, i + LIMITS.opsPerBatch));
  return batches;
}

const base = mkdtempSync(join(tmpdir(), 'georep-bench-'));
try {
  const toAgent = new PassThrough();
  const fromAgent = new PassThrough();
  const done = runAgent(join(base, 'slave'), toAgent, fromAgent, silentLogger());
  const client = SlaveClient.connect(fromAgent, toAgent);
  await client.call('hello', { version: 1, masterVolume: randomUUID(), masterPath: '/bench', rebind: false });
  const batches = plan();
  const t0 = process.hrtime.bigint();
  let failures = 0;
  for (const ops of batches) failures += (await client.call('entryOps', { ops })).failures.length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const t1 = process.hrtime.bigint();
  for (const ops of batches) failures += (await client.call('entryOps', { ops })).failures.length;
  const replayMs = Number(process.hrtime.bigint() - t1) / 1e6;
  await client.close();
  await done;
  console.log(
    `${FILES} CREATEs (+${Math.ceil(FILES / PER_DIR)} MKDIRs) in ${batches.length} batches: ${ms.toFixed(0)} ms (${((FILES / ms) * 1000).toFixed(0)} ops/s); replay (all no-ops): ${replayMs.toFixed(0)} ms; failures ${failures}`,
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}

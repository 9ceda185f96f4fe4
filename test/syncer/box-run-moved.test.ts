// runBox against the real in-process agent when the master file moves away between planning
// and the engine's read. rsync --ignore-missing-args passes over the missing path in silence,
// so the staged file is still the basis the agent linked there: the slave's old content. Under
// quick check 'off' (--ignore-times) rsync always writes a new file for a path it read, so a
// kept basis proves it never read it. Seeded random live test, seed 3: a file rewritten (size
// and mtime put back) and its directory renamed right after was confirmed with the slave's old
// content while a checkpoint completed.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { runBox } from '../../src/syncer/box-run.js';
import type { DataOutcome, QuickCheck } from '../../src/syncer/job.js';
import { RsyncEngine } from '../../src/syncer/rsync-engine.js';
import { apply, makeTemp, newGfid, ops, useReadyAgent } from '../slave/harness.js';

const RSYNC = new RsyncEngine({ rsyncCommand: 'rsync', rsyncOptions: '', useRsyncXattrs: false });
const codes = (outcomes: readonly DataOutcome[]): string[] =>
  outcomes.map((o) => (o.ok ? (o.vanished ? 'vanished' : 'ok') : o.code));

describe('runBox: a master file moved away before the engine read it (real agent)', () => {
  const agent = useReadyAgent();

  /** A file the slave holds (old content) and the master rewrote keeping size and mtime, then moved. */
  async function movedAfterPlanning(quickCheck: QuickCheck): Promise<{ outcomes: string[]; slaveContent: string }> {
    const master = path.join(makeTemp(), 'master');
    fs.mkdirSync(path.join(master, 'dir'), { recursive: true });
    const dir = newGfid();
    const file = newGfid();
    expect(await apply(agent.client, [ops.mkdir(dir, ROOT_GFID, 'dir'), ops.create(file, dir, '...')])).to.deep.equal(
      [],
    );
    const onSlave = path.join(agent.root, 'dir', '...');
    fs.writeFileSync(onSlave, 'old content');
    fs.utimesSync(onSlave, 1_700_000_000, 1_700_000_000);
    const onMaster = path.join(master, 'dir', '...');
    fs.writeFileSync(onMaster, 'new content'); // the same size
    fs.utimesSync(onMaster, 1_700_000_000, 1_700_000_000); // and mtime put back
    const st = fs.statSync(onMaster, { bigint: true });
    const item = {
      gfid: file,
      path: Buffer.from('dir/...'),
      size: 11,
      mtimeNs: st.mtimeNs,
      ctimeNs: st.ctimeNs,
      ino: st.ino,
      sparse: false,
    };
    fs.renameSync(path.join(master, 'dir'), path.join(master, 'moved')); // after planning, before rsync
    const report = await runBox(
      {
        sourceRoot: master,
        stagingDir: path.join(fs.realpathSync(agent.root), '.georep', 'staging'),
        items: [item],
        quickCheck,
        sparse: false,
        checkSettled: false,
      },
      { slave: agent.client, engine: RSYNC },
    );
    return { outcomes: codes(report.outcomes), slaveContent: fs.readFileSync(onSlave, 'utf8') };
  }

  it("under quick check 'off', a kept basis is no proof: the item vanished (retried from where it is now)", async () => {
    const r = await movedAfterPlanning('off');
    expect(r.slaveContent).to.equal('old content');
    expect(r.outcomes).to.deep.equal(['vanished']);
  });

  it("under quick check 'ns', a kept basis whose size and mtime the planned state has is as good as rsync's own quick check", async () => {
    const r = await movedAfterPlanning('ns');
    expect(r.outcomes).to.deep.equal(['ok']);
  });
});

// process_change while the mass-delete brake holds deletes: UNLINK/RMDIR records are kept from
// the slave (Plan.held), a rename of a lost gfid no longer drops its slave names, and nothing
// may take a name whose delete is held (the slave would replace what the brake keeps there).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { EntryName, Gfid } from '../../src/changelog/index.js';
import { ChangeClassifier } from '../../src/master/process-change.js';

describe('ChangeClassifier holding deletes (mass-delete brake)', () => {
  let root: string;
  let index: SqliteGfidIndex;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-hold-'));
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => {
    index.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const at = (name: string, pargfid: Gfid = ROOT_GFID): EntryName => ({ pargfid, name: Buffer.from(name) });
  const ino = (rel: string): bigint => fs.lstatSync(path.join(root, rel), { bigint: true }).ino;
  const file = (rel: string, pargfid: Gfid = ROOT_GFID): Gfid => {
    fs.writeFileSync(path.join(root, rel), rel);
    return index.create('file', ino(rel), at(path.basename(rel), pargfid));
  };
  const owned = { mode: 0o100644, uid: 0, gid: 0 };
  const heldOnSlave = new Set<string>();
  const hold = { heldAt: (e: EntryName) => heldOnSlave.has(e.name.toString()) };
  const classifier = (held: boolean) =>
    new ChangeClassifier(Buffer.from(root), index, { source: 'changelog', ...(held ? { hold } : {}) });

  it('keeps UNLINK and RMDIR from the slave, and sends a lost gfid rename as a plain rename', () => {
    const gone = '00000000-0000-4000-8000-000000000001' as Gfid;
    const dir = '00000000-0000-4000-8000-000000000002' as Gfid;
    const lost = '00000000-0000-4000-8000-000000000003' as Gfid;
    const kept = file('kept');
    const records = [
      { kind: 'E', gfid: gone, fop: 'UNLINK', entry: at('gone') },
      { kind: 'E', gfid: dir, fop: 'RMDIR', entry: at('d') },
      { kind: 'E', gfid: lost, fop: 'RENAME', entry: at('lost'), to: at('b') },
      { kind: 'E', gfid: lost, fop: 'UNLINK', entry: at('b') },
      { kind: 'D', gfid: kept },
    ] as const;
    const c = classifier(true);
    for (const r of records) c.add(r);
    const plan = c.plan('batch');
    expect(plan.entryOps.map((o) => [o.op, o.gfid, o.op === 'RENAME' ? (o.gone ?? false) : null])).to.deep.equal([
      ['RENAME', lost, false],
    ]);
    expect(plan.held.map((h) => [h.gfid, h.entry.name.toString(), h.dir])).to.deep.equal([
      [gone, 'gone', false],
      [dir, 'd', true],
      [lost, 'b', false],
    ]);
    expect(plan.deletions).to.deep.equal([]);
    expect(plan.dataOff.map((i) => i.gfid)).to.deep.equal([kept]); // writes go on
    expect(plan.blocked).to.deep.equal([]);
  });

  it('blocks what would take a held name, and what lies in a blocked directory; everything else goes on', () => {
    heldOnSlave.clear();
    heldOnSlave.add('old'); // held in an earlier turn
    const replacing = file('old'); // the master made a new file under the held name
    fs.mkdirSync(path.join(root, 'd'));
    const newDir = index.create('dir', ino('d'), at('d')); // a new directory under a name held below
    const inside = file('d/x', newDir);
    const fresh = file('fresh');
    const moved = file('moved');
    const c = classifier(true);
    c.add({ kind: 'E', gfid: '00000000-0000-4000-8000-000000000009' as Gfid, fop: 'RMDIR', entry: at('d') });
    c.add({ kind: 'E', gfid: replacing, fop: 'CREATE', ...owned, entry: at('old') });
    c.add({ kind: 'D', gfid: replacing });
    c.add({ kind: 'E', gfid: newDir, fop: 'MKDIR', ...owned, mode: 0o40755, entry: at('d') });
    c.add({ kind: 'E', gfid: inside, fop: 'CREATE', ...owned, entry: at('x', newDir) });
    c.add({ kind: 'D', gfid: inside });
    c.add({ kind: 'E', gfid: moved, fop: 'RENAME', entry: at('elsewhere'), to: at('old') });
    c.add({ kind: 'E', gfid: fresh, fop: 'CREATE', ...owned, entry: at('fresh') });
    c.add({ kind: 'D', gfid: fresh });
    const plan = c.plan('batch');
    expect(plan.entryOps.map((o) => [o.op, o.gfid])).to.deep.equal([['CREATE', fresh]]);
    expect(plan.blocked).to.have.members([replacing, newDir, inside, moved]);
    expect(plan.dataOff.map((i) => i.gfid)).to.deep.equal([fresh]);
    expect([...plan.confirm.keys()]).to.not.include.members([replacing, newDir, inside]);
    expect(plan.held.map((h) => h.entry.name.toString())).to.deep.equal(['d']);
  });

  it('without the brake, sends deletes and replacements as before', () => {
    heldOnSlave.clear();
    heldOnSlave.add('old');
    const replacing = file('old');
    const c = classifier(false);
    c.add({ kind: 'E', gfid: '00000000-0000-4000-8000-000000000001' as Gfid, fop: 'UNLINK', entry: at('gone') });
    c.add({ kind: 'E', gfid: replacing, fop: 'CREATE', ...owned, entry: at('old') });
    const plan = c.plan('batch');
    expect(plan.entryOps.map((o) => o.op)).to.deep.equal(['UNLINK', 'CREATE']);
    expect([plan.held, plan.blocked]).to.deep.equal([[], []]);
  });
});

// What verify and repair print for a person: counts, the first divergences with names escaped,
// and what to do next. (The e2e tests read --json; this is the only check of the human form's
// parts: sample, skipped, hashed bytes, the cut at SHOWN_DIVERGENCES, repair's delivery lines.)

import { expect } from 'chai';
import { emptyTotals } from '../../src/verify/lines.js';
import type { DoneLine, EntryLine } from '../../src/verify/lines.js';
import type { RepairReport } from '../../src/verify/repair.js';
import {
  FirstDivergences,
  formatRepairSummary,
  formatVerifySummary,
  SHOWN_DIVERGENCES,
} from '../../src/verify/summary.js';

const WHERE = { master: '/m', slave: '/s', repairHint: 'To repair: georep repair /m /s --from FILE' };
type Totals = DoneLine['totals'];
const done = (over: Partial<Omit<DoneLine, 'totals'>> & { readonly totals: Partial<Totals> }): DoneLine => {
  const totals: Totals = { ...emptyTotals(), ...over.totals };
  return {
    done: true,
    divergent: totals.examined - totals.ok,
    seconds: 2,
    checksum: false,
    sample: 1,
    resumed: false,
    ...over,
    totals,
  };
};
const line = (path: string, verdict: EntryLine['verdict']): EntryLine => ({ path, gfid: null, verdict, type: 'file' });

describe('verify/summary', () => {
  it('says the slave matches when nothing diverges, with no repair hint', () => {
    const out = formatVerifySummary(done({ totals: { examined: 3, ok: 3, dirs: 1 } }), [], WHERE);
    expect(out.split('\n')).to.deep.equal([
      'Verified /s against /m in 2.0 s: metadata (no --checksum: content not read).',
      '3 entries examined in 1 directories.',
      'No divergence: the slave matches the master.',
      '',
    ]);
  });

  it('counts divergences by verdict, lists the first ones escaped, and ends with the hint', () => {
    const first = new FirstDivergences();
    const lines = [line('ok', 'ok'), line('a\nb', 'missing'), line('c', 'size')];
    for (const l of lines) first.add(l);
    const d = done({
      checksum: true,
      sample: 0.5,
      resumed: true,
      totals: { examined: 3, ok: 1, missing: 1, size: 1, dirs: 1, unsampled: 4, skipped: 2, hashedBytes: 2048 },
    });
    const out = formatVerifySummary(d, first.lines, WHERE).split('\n');
    expect(out[0]).to.equal('Verified /s against /m in 2.0 s (resumed): metadata and content (SHA-256).');
    expect(out[1]).to.equal(
      '3 entries examined in 1 directories, a 0.5 sample (4 not examined), 2 not replicated by design (sockets, devices, .georep), 2.0 KiB hashed on each side.',
    );
    expect(out.slice(2)).to.deep.equal([
      '2 divergent: missing 1, size 1 (ok 1).',
      'They are:',
      '  missing a\\nb',
      '  size    c',
      WHERE.repairHint,
      '',
    ]);
  });

  it(`keeps only the first ${SHOWN_DIVERGENCES} divergences, and says so`, () => {
    const first = new FirstDivergences();
    for (let i = 0; i < SHOWN_DIVERGENCES + 5; i++) first.add(line(`f${i}`, 'mode'));
    expect(first.lines).to.have.length(SHOWN_DIVERGENCES);
    const d = done({ totals: { examined: SHOWN_DIVERGENCES + 5, mode: SHOWN_DIVERGENCES + 5 } });
    expect(formatVerifySummary(d, first.lines, WHERE)).to.include(`The first ${SHOWN_DIVERGENCES}:`);
  });

  it('tells what repair did and who syncs what it queued', () => {
    const r: RepairReport = {
      divergent: 4,
      queued: 3,
      alreadyQueued: 1,
      dropped: 1,
      kept: 0,
      problems: [],
      problemCount: 0,
    };
    expect(formatRepairSummary(r, 'synced')).to.equal(
      'Repair: 4 divergent entries: 3 queued to sync again (1 were in the failure ledger already), 1 slave entries removed.\n',
    );
    expect(formatRepairSummary(r, 'busy').split('\n')[1]).to.match(/^Another georep process holds the session/);
    expect(formatRepairSummary(r, 'queued').split('\n')[1]).to.match(/^Queued only: georep start/);
    expect(formatRepairSummary({ ...r, divergent: 0 }, 'synced')).to.equal('Repair: nothing divergent to repair.\n');
  });

  it('lists repair problems escaped, and counts those it does not show', () => {
    const r: RepairReport = {
      divergent: 3,
      queued: 0,
      alreadyQueued: 0,
      dropped: 0,
      kept: 1,
      problems: [{ path: 'x\ty', code: 'GFID_UNKNOWN', message: 'not in the index' }],
      problemCount: 3,
    };
    expect(formatRepairSummary(r, 'synced').split('\n')).to.deep.equal([
      'Repair: 3 divergent entries: 0 queued to sync again, 0 slave entries removed, 1 entries only the slave has kept (ignore-deletes); 3 problems:',
      '  x\\ty: GFID_UNKNOWN: not in the index',
      '  … and 2 more (see the log)',
      '',
    ]);
  });
});

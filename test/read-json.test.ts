// readJsonIfAny: a missing file and a torn one read as none (undefined); a file that cannot be
// read for another reason is thrown, not taken for absent. Also the verify state files built on
// it (verify/position.ts, verify/audit-state.ts) keep their own shape checks.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { readJsonIfAny } from '../src/read-json.js';
import { SESSION_FILES } from '../src/session-files.js';
import { loadAuditResult, saveAuditResult } from '../src/verify/audit-state.js';
import { loadPosition } from '../src/verify/position.js';

describe('read-json', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-read-json-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads the JSON value; undefined when the file is missing or not JSON', () => {
    const file = path.join(tmp, 'f.json');
    expect(readJsonIfAny(file)).to.equal(undefined);
    fs.writeFileSync(file, '{"a": [1, null]}\n');
    expect(readJsonIfAny(file)).to.deep.equal({ a: [1, null] });
    fs.writeFileSync(file, '{"a": [1, nu');
    expect(readJsonIfAny(file)).to.equal(undefined);
  });

  it('throws when the file is there but cannot be read', () => {
    const dir = path.join(tmp, 'd.json');
    fs.mkdirSync(dir);
    expect(() => readJsonIfAny(dir))
      .to.throw()
      .that.satisfies((e: NodeJS.ErrnoException) => e.code === 'EISDIR');
  });

  it('audit.json: a saved result loads; a torn, foreign or null file is no audit', () => {
    expect(loadAuditResult(tmp)).to.equal(undefined);
    const r = {
      startedMs: 1,
      endedMs: 2,
      examined: 3,
      drift: 0,
      inFlight: 0,
      known: 0,
      sample: 1,
      checksum: false,
      repaired: null,
    };
    saveAuditResult(tmp, r);
    expect(loadAuditResult(tmp)).to.deep.include(r);
    for (const text of ['{"version": 1, "start', 'null', '7', '{"version": 2}']) {
      fs.writeFileSync(path.join(tmp, SESSION_FILES.audit), text);
      expect(loadAuditResult(tmp), text).to.equal(undefined);
    }
  });

  it('verify-position.json: a torn or other-version file is no position', () => {
    expect(loadPosition(tmp)).to.equal(undefined);
    for (const text of ['{"version": 1, "aft', '{"version": 2, "after": "", "totals": {}}', '{"version": 1}']) {
      fs.writeFileSync(path.join(tmp, SESSION_FILES.verifyPosition), text);
      expect(loadPosition(tmp), text).to.equal(undefined);
    }
  });
});

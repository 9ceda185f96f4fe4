// e2e: the sendmark axis. With use-rsync-xattrs (sendmark rsync) a file's user xattrs reach
// the slave; by default (sendmark normal) they do not. Real rsync, real setfattr/getfattr.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { describeRun, runGeorep } from '../support/cli.js';

/** The attribute's value, or undefined when the file has no such attribute (getfattr exits 1). */
function xattrOf(file: string, name: string): string | undefined {
  const r = spawnSync('getfattr', ['--only-values', '-n', name, file], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout;
  expect(r.stderr).to.match(/No such attribute/);
  return undefined;
}

describe('e2e: sync --oneshot and extended attributes', () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-e2e-xattr-'));
    fs.mkdirSync(path.join(base, 'master'));
    const file = path.join(base, 'master', 'tagged');
    fs.writeFileSync(file, 'content');
    execFileSync('setfattr', ['-n', 'user.georep-test', '-v', 'hello', file]);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const sync = async (slave: string, ...flags: string[]) => {
    const args = [
      'sync',
      '--oneshot',
      path.join(base, 'master'),
      path.join(base, slave),
      '--workdir',
      path.join(base, `w-${slave}`),
      ...flags,
    ];
    const r = await runGeorep(args);
    expect(r.exitCode, describeRun(args, r)).to.equal(0);
  };

  it('carries user xattrs with --use-rsync-xattrs, and not without', async () => {
    await sync('with', '--use-rsync-xattrs', 'true');
    await sync('without');
    expect(xattrOf(path.join(base, 'with', 'tagged'), 'user.georep-test')).to.equal('hello');
    expect(xattrOf(path.join(base, 'without', 'tagged'), 'user.georep-test')).to.equal(undefined);
  });
});

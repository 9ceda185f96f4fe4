// The status socket's place: a path the kernel would truncate, or a folder that is not this
// user's, is SOCKET_UNUSABLE (the daemon cannot run here), never a usage error.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { StatusService, statusSocketPath } from '../../src/master/status-service.js';
import { codeOf, codeOfAsync } from '../support/error-code.js';

describe('status-service', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-sock-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refuses a socket path over 107 bytes with SOCKET_UNUSABLE (exit 5)', () => {
    const code = codeOf(() => statusSocketPath('/w/m--s--0123456789ab', path.join(tmp, 'x'.repeat(100))));
    expect(code).to.equal('SOCKET_UNUSABLE');
    expect(exitCodeFor('SOCKET_UNUSABLE')).to.equal(EXIT.daemon);
  });

  it('refuses a socket folder that is a symlink with SOCKET_UNUSABLE', async () => {
    fs.mkdirSync(path.join(tmp, 'real'));
    fs.symlinkSync(path.join(tmp, 'real'), path.join(tmp, 'link'));
    const service = new StatusService(path.join(tmp, 'link', 's.sock'), () => {
      throw new Error('not asked');
    });
    expect(await codeOfAsync(service.start())).to.equal('SOCKET_UNUSABLE');
  });
});

// Slave addresses: the two remote spellings of one place are one session; bad ones are refused
// with a message that says how to write them.

import { expect } from 'chai';
import { canonicalSlave, isRemoteSpec, parseRemoteSlave } from '../../src/slave/address.js';
import { codeOf } from '../support/error-code.js';

describe('slave address', () => {
  it('tells remote addresses from local paths', () => {
    for (const s of ['host:/x', 'u@host:/x', 'ssh://host/x', 'h:relative']) expect(isRemoteSpec(s)).to.equal(true);
    for (const s of ['/x', './host:/x', 'dir/with:colon', '/a:b']) expect(isRemoteSpec(s)).to.equal(false);
  });

  it('gives both spellings of one place the same canonical form, user and port written out', () => {
    const forms = [
      'backup@Slave.Example:/srv/data/',
      'ssh://backup@slave.example:22/srv/data',
      'ssh://backup@slave.example/srv//data',
    ];
    const canon = forms.map((f) => canonicalSlave(parseRemoteSlave(f, 0, 'me')));
    expect(new Set(canon)).to.deep.equal(new Set(['ssh://backup@slave.example:22/srv/data']));
    expect(canonicalSlave(parseRemoteSlave('h:/d', 0, 'me'))).to.equal('ssh://me@h:22/d');
    expect(canonicalSlave(parseRemoteSlave('h:/d', 2222, 'me'))).to.equal('ssh://me@h:2222/d');
    expect(canonicalSlave(parseRemoteSlave('ssh://[fe80::1]:2200/d', 0, 'me'))).to.equal('ssh://me@[fe80::1]:2200/d');
  });

  it('keeps awkward bytes of the remote path as they are (they never pass through a shell)', () => {
    const a = parseRemoteSlave("h:/srv/it's a $dir;rm -rf", 0, 'me');
    expect(a.root).to.equal("/srv/it's a $dir;rm -rf");
    expect(parseRemoteSlave('ssh://h/sp%20ace', 0, 'me').root).to.equal('/sp ace');
  });

  it('refuses a relative path, a bad host, user or port, and a port given twice differently', () => {
    expect(codeOf(() => parseRemoteSlave('h:rel', 0, 'me'))).to.equal('USAGE');
    expect(codeOf(() => parseRemoteSlave('bad_host!:/x', 0, 'me'))).to.equal('USAGE');
    expect(codeOf(() => parseRemoteSlave('ssh://h:70000/x', 0, 'me'))).to.equal('USAGE');
    expect(codeOf(() => parseRemoteSlave('ssh://h:2200/x', 2222, 'me'))).to.equal('CONFIG_INVALID');
    expect(parseRemoteSlave('ssh://h:2222/x', 2222, 'me').port).to.equal(2222);
  });
});

// remoteExitHint: what the exit of `ssh … georep slave ROOT` tells an operator.

import { expect } from 'chai';
import { remoteExitHint } from '../../src/master/remote-exit-hint.js';

describe('master/remote-exit-hint', () => {
  const hint = (code: number, stderr: string[] = []) => remoteExitHint(code, stderr, 'georep', 'h1', '/m h1:/s');

  it('names both causes of ssh exit 255 and promises no reconnect (a one-shot makes none)', () => {
    const h = hint(255);
    expect(h?.code).to.equal('SLAVE_UNREACHABLE');
    expect(h?.text).to.match(/the connection broke, or the georep agent there was killed/);
    expect(h?.text).to.not.match(/reconnect/);
  });

  it('says what to do when georep is missing or cannot run there, and when the gate refuses', () => {
    expect(hint(127)).to.include({ code: 'SSH_REFUSED' });
    expect(hint(127)?.text).to.match(/not found on h1 \(remote-georep is "georep"\)/);
    expect(hint(126)?.text).to.match(/cannot be run/);
    const gate = hint(1, ['slave-gate: refused: another root']);
    expect(gate?.code).to.equal('SSH_REFUSED');
    expect(gate?.text).to.match(/georep ssh-setup \/m h1:\/s --make-key/);
    expect(hint(3)).to.equal(undefined);
  });
});

// Error reporting: a GeorepError is one `georep: …` line with its category's exit code; any
// other error is an internal error; stacks appear only with GEOREP_DEBUG=1.

import { expect } from 'chai';
import { Writable } from 'node:stream';
import { readStartupEnv } from '../../src/cli/env.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { reportError } from '../../src/cli/run.js';
import { ERROR_CODES, GeorepError } from '../../src/errors.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const env = (debug: boolean) => readStartupEnv(debug ? { GEOREP_DEBUG: '1' } : {}, 1000, '/home/u');

describe('cli/run', () => {
  it('maps each error category to its exit code', () => {
    expect(exitCodeFor('CONFIG_INVALID')).to.equal(EXIT.usage);
    expect(exitCodeFor('CONFIG_UNKNOWN_KEY')).to.equal(EXIT.usage);
    expect(exitCodeFor('MASTER_MISSING')).to.equal(EXIT.usage);
    expect(exitCodeFor('USAGE')).to.equal(EXIT.usage);
    expect(exitCodeFor('RSYNC_FAILED')).to.equal(EXIT.syncFailed);
    expect(exitCodeFor('AGENT_DIED')).to.equal(EXIT.slave);
    expect(exitCodeFor('FOREIGN_MASTER')).to.equal(EXIT.slave);
    expect(exitCodeFor('ABORTED')).to.equal(EXIT.interrupted);
    expect(exitCodeFor('DAEMON_NOT_STARTED')).to.equal(EXIT.daemon);
    expect(exitCodeFor('SOCKET_UNUSABLE')).to.equal(EXIT.daemon);
    expect(exitCodeFor('INTERNAL')).to.equal(EXIT.internal);
    for (const code of ERROR_CODES) expect(exitCodeFor(code), code).to.be.a('number').and.not.equal(EXIT.ok);
  });

  it('prints a GeorepError as one line, newlines in paths escaped', () => {
    const err = sink();
    const code = reportError(new GeorepError('FOREIGN_MASTER', 'slave /a\nb is bound to another master'), {
      stderr: err.stream,
      env: env(false),
    });
    expect(code).to.equal(EXIT.slave);
    expect(err.text()).to.equal('georep: slave /a\\nb is bound to another master\n');
  });

  it('prints any other error as an internal error without a stack', () => {
    const err = sink();
    const code = reportError(new TypeError('x is not a function'), { stderr: err.stream, env: env(false) });
    expect(code).to.equal(EXIT.internal);
    expect(err.text()).to.match(/^georep: internal error: x is not a function; rerun with GEOREP_DEBUG=1/);
    expect(err.text()).to.not.include('    at ');
  });

  it('prints an INTERNAL GeorepError as an internal error', () => {
    const err = sink();
    const code = reportError(new GeorepError('INTERNAL', 'master used before start()'), {
      stderr: err.stream,
      env: env(false),
    });
    expect(code).to.equal(EXIT.internal);
    expect(err.text()).to.match(/^georep: internal error: master used before start\(\); rerun with GEOREP_DEBUG=1/);
  });

  it('adds the stack and causes with GEOREP_DEBUG=1', () => {
    const err = sink();
    const cause = new Error('EIO underneath');
    reportError(new GeorepError('IO_ERROR', 'cannot write', { cause }), { stderr: err.stream, env: env(true) });
    expect(err.text()).to.include('    at ').and.include('Caused by: Error: EIO underneath');
  });
});

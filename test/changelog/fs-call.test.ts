// fsCall: a failed fs call with an errno becomes IO_ERROR naming the call and the path (errno
// and cause kept); an error without one is a bug and passes through untouched.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { fsCall, ioError } from '../../src/changelog/fs-call.js';
import { GeorepError } from '../../src/errors.js';
import { thrown } from '../support/error-code.js';

describe('changelog/fsCall', () => {
  it('returns what the call returns', () => {
    expect(fsCall('stat', os.tmpdir(), () => fs.statSync(os.tmpdir()).isDirectory())).to.equal(true);
  });

  it('turns a real ENOENT into IO_ERROR with the path, the errno and the cause', () => {
    const gone = path.join(os.tmpdir(), `georep-fs-call-${process.pid}-missing`);
    const e = thrown(() => fsCall('read', gone, () => fs.readFileSync(gone)));
    expect([e.code, e.path, e.errno]).to.deep.equal(['IO_ERROR', gone, 'ENOENT']);
    expect((e.cause as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });

  it('lets an error without an errno through as it is', () => {
    const bug = new TypeError('not a function');
    expect(() =>
      fsCall('read', '/x', () => {
        throw bug;
      }),
    ).to.throw(TypeError);
    expect(ioError('read', '/x', bug)).to.equal(bug);
    const already = new GeorepError('STATE_CORRUPT', 'bad');
    expect(ioError('read', '/x', already)).to.equal(already);
  });
});

// Engine axis, TarSSH: tar keeps the archive's owners only where the slave agent runs as root
// (hello's isRoot), whatever this process's own uid.

import { expect } from 'chai';
import { resolveConfig } from '../../../src/cli/config-loader.js';
import { tarConfigOf } from '../../../src/master/mixins/engine-tarssh.js';
import { buildTarCommands } from '../../../src/syncer/index.js';

const AT = { sourceRoot: '/m', stagingDir: '/s/.georep/box' };
const extractArgs = (slaveIsRoot: boolean | undefined): readonly string[] =>
  buildTarCommands(tarConfigOf({ ...resolveConfig([]), ...(slaveIsRoot === undefined ? {} : { slaveIsRoot }) }), AT)
    .dest.args;

describe('master/mixins/engine-tarssh', () => {
  it('extracts with --same-owner only when the agent runs as root', () => {
    expect(extractArgs(true)).to.include('--same-owner');
    expect(extractArgs(false), 'a non-root slave user cannot chown').to.not.include('--same-owner');
  });

  it('without hello (no slaveIsRoot), goes by this process being root, as a local agent of the same user', () => {
    expect(extractArgs(undefined).includes('--same-owner')).to.equal(process.getuid?.() === 0);
  });
});

// Self command: the argv that re-runs this CLI works from any directory and drops --inspect.

import { expect } from 'chai';
import { selfCommand } from '../../src/cli/self-command.js';

const resolver = (s: string): string => {
  if (s === 'tsx') return 'file:///repo/node_modules/tsx/dist/loader.mjs';
  throw Object.assign(new Error(`cannot find ${s}`), { code: 'ERR_MODULE_NOT_FOUND' });
};

describe('cli/self-command', () => {
  it('is node, the exec flags and the script', () => {
    expect(selfCommand('/usr/bin/node', [], '/repo/dist/cli/main.js', '/cwd', resolver)).to.deep.equal([
      '/usr/bin/node',
      '/repo/dist/cli/main.js',
    ]);
  });

  it('makes bare and relative --import specifiers absolute', () => {
    const argv = selfCommand(
      '/n',
      ['--import', 'tsx', '--import=./hook.mjs', '--enable-source-maps'],
      '/repo/src/cli/main.ts',
      '/cwd',
      resolver,
    );
    expect(argv).to.deep.equal([
      '/n',
      '--import',
      'file:///repo/node_modules/tsx/dist/loader.mjs',
      '--import',
      'file:///cwd/hook.mjs',
      '--enable-source-maps',
      '/repo/src/cli/main.ts',
    ]);
  });

  it('keeps a specifier it cannot resolve, and drops debugger flags', () => {
    const argv = selfCommand(
      '/n',
      ['--inspect=9229', '--inspect-brk', '--import', 'nowhere'],
      '/s.js',
      '/cwd',
      resolver,
    );
    expect(argv).to.deep.equal(['/n', '--import', 'nowhere', '/s.js']);
  });
});

// packageVersion: the version of the package.json next to the code (this checkout's, under tsx).

import fs from 'node:fs';
import { expect } from 'chai';
import { packageVersion } from '../../src/cli/package-info.js';

describe('cli/packageVersion', () => {
  it("is this checkout's package.json version", () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(packageVersion()).to.equal(pkg.version);
    expect(packageVersion()).to.not.equal('unknown');
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { addonFile, NATIVE_FILE, requireAddon, tryLoadAddon } from '../src/native-addon.js';

describe('native-addon', () => {
  it('finds the addon the build made, in this repository', () => {
    expect(addonFile().endsWith(NATIVE_FILE)).to.equal(true);
    expect(fs.existsSync(addonFile())).to.equal(true);
  });

  it('loads it, with the calls the slave agent and the master walks use', () => {
    const m = tryLoadAddon() as Record<string, unknown>;
    for (const f of ['openat', 'fstatat', 'readdir', 'lstatdir']) expect(typeof m[f], f).to.equal('function');
  });

  it('throws what require threw for a file that is not an addon', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-native-'));
    try {
      const bogus = path.join(dir, 'georep_fs.node');
      fs.writeFileSync(bogus, 'not an ELF file');
      expect(() => requireAddon(bogus)).to.throw(/invalid ELF header|not a valid|file too short/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

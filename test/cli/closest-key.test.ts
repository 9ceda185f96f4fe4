// Closest key: "did you mean" picks the nearest valid name across common misspellings.

import { expect } from 'chai';
import { closestKey, editDistance } from '../../src/cli/closest-key.js';

const keys = ['sync-jobs', 'sync-method', 'sync-box-files', 'ignore-deletes', 'log-level'];

describe('cli/closest-key', () => {
  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).to.equal(3);
    expect(editDistance('', 'abc')).to.equal(3);
    expect(editDistance('same', 'same')).to.equal(0);
  });

  it('finds typos, camelCase, snake_case and leading dashes', () => {
    expect(closestKey('sync-job', keys)).to.equal('sync-jobs');
    expect(closestKey('syncMethod', keys)).to.equal('sync-method');
    expect(closestKey('ignore_deletes', keys)).to.equal('ignore-deletes');
    expect(closestKey('--loglevel', keys)).to.equal('log-level');
  });

  it('returns undefined only when there are no candidates', () => {
    expect(closestKey('x', [])).to.equal(undefined);
  });
});

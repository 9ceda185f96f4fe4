// masterVolumeId: the same master tree always presents the same id (nothing written into it);
// another path is another volume. Shaped as a version-5 uuid for messages and marks.

import { expect } from 'chai';
import { masterVolumeId } from '../../src/master/volume-id.js';

const UUID5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('master/volumeId', () => {
  it('is stable for one path, different for another, and a version-5 shaped uuid', () => {
    const a = masterVolumeId('/srv/a');
    expect(masterVolumeId('/srv/a')).to.equal(a);
    expect(masterVolumeId('/srv/b')).to.not.equal(a);
    expect(masterVolumeId('/srv/a/')).to.not.equal(a);
    for (const p of ['/srv/a', '/', '/x/y/z', '/名前']) expect(masterVolumeId(p), p).to.match(UUID5);
  });
});

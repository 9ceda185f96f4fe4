// PostBox: box handover, max count, wake-ups, selectors, posting while a worker runs, close.

import { expect } from 'chai';
import { isGeorepError } from '../../src/errors.js';
import { PostBox } from '../../src/syncer/postbox.js';

/** Settles pending promise callbacks (no timers involved). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PostBox', () => {
  it('hands the whole box to one taker and wakes each poster with its own result', async () => {
    const box = new PostBox<string, number>();
    const posted = box.postAll(['a', 'bb', 'ccc']);
    const d = box.tryTake(10);
    expect(d?.items).to.deep.equal(['a', 'bb', 'ccc']);
    expect(box.size).to.equal(0);
    d?.deliver(d.items.map((s) => s.length));
    expect(await Promise.all(posted)).to.deep.equal([1, 2, 3]);
  });

  it('takes at most max items, oldest first, and leaves the rest for the next taker', () => {
    const box = new PostBox<number, number>();
    void box.postAll([1, 2, 3, 4, 5]);
    expect(box.tryTake(2)?.items).to.deep.equal([1, 2]);
    expect(box.size).to.equal(3);
    expect(box.tryTake(2)?.items).to.deep.equal([3, 4]);
    expect(box.tryTake(2)?.items).to.deep.equal([5]);
    expect(box.tryTake(2)).to.equal(undefined);
  });

  it('wakes a waiting taker on post, with everything posted together in one box', async () => {
    const box = new PostBox<string, string>();
    const taking = box.take(10);
    let woke = false;
    void taking.then(() => (woke = true));
    await flush();
    expect(woke).to.equal(false);
    void box.postAll(['x', 'y']);
    void box.post('z'); // same tick: lands before the taker resumes
    const d = await taking;
    expect(d?.items).to.deep.equal(['x', 'y', 'z']);
  });

  it('takes items posted while a worker runs in the next box, and wakes only their posters', async () => {
    const box = new PostBox<string, string>();
    const first = box.post('a');
    const running = box.tryTake(10);
    const second = box.postAll(['b', 'c']);
    expect(box.size).to.equal(2);
    const next = box.tryTake(10);
    expect(next?.items).to.deep.equal(['b', 'c']);
    let secondDone = false;
    void Promise.all(second).then(() => (secondDone = true));
    running?.deliver(['A']);
    expect(await first).to.equal('A');
    await flush();
    expect(secondDone).to.equal(false);
    next?.deliver(['B', 'C']);
    expect(await Promise.all(second)).to.deep.equal(['B', 'C']);
  });

  it('leaves items the selector refuses in place, in order, for a later take', () => {
    const box = new PostBox<number, number>();
    void box.postAll([1, 2, 3, 4]);
    expect(box.tryTake(10, (n) => n % 2 === 0)?.items).to.deep.equal([2, 4]);
    expect(box.tryTake(10)?.items).to.deep.equal([1, 3]);
  });

  it('re-runs a waiting taker on nudge, when what its selector depends on changed', async () => {
    const box = new PostBox<string, string>();
    const blocked = new Set(['a']);
    void box.post('a');
    const taking = box.take(10, () => (s) => !blocked.has(s));
    await flush();
    blocked.delete('a');
    box.nudge();
    expect((await taking)?.items).to.deep.equal(['a']);
  });

  it('rejects every poster of a failed box', async () => {
    const box = new PostBox<string, string>();
    const posted = box.postAll(['a', 'b']);
    const boom = new Error('agent died');
    box.tryTake(10)?.fail(boom);
    for (const p of posted) {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.equal(boom);
    }
  });

  it('settles a box once and refuses a result count that does not match', async () => {
    const box = new PostBox<string, string>();
    const posted = box.postAll(['a', 'b']);
    const d = box.tryTake(10);
    expect(() => d?.deliver(['only one']))
      .to.throw()
      .that.satisfies(isGeorepError);
    d?.deliver(['A', 'B']);
    d?.fail(new Error('late'));
    expect(await Promise.all(posted)).to.deep.equal(['A', 'B']);
  });

  it('after close: refuses posts, still hands out queued items, then ends takers', async () => {
    const box = new PostBox<string, string>();
    void box.post('a');
    const idle = new PostBox<string, string>();
    const idleTake = idle.take(10);
    idle.close();
    expect(await idleTake).to.equal(undefined);
    box.close();
    let thrown: unknown;
    try {
      void box.post('b');
    } catch (e) {
      thrown = e;
    }
    expect(isGeorepError(thrown) && thrown.code).to.equal('ABORTED');
    expect((await box.take(10))?.items).to.deep.equal(['a']);
    expect(await box.take(10)).to.equal(undefined);
  });

  it('ends a waiting take when its signal aborts', async () => {
    const box = new PostBox<string, string>();
    const ac = new AbortController();
    const taking = box.take(10, undefined, ac.signal);
    ac.abort();
    expect(await taking).to.equal(undefined);
  });
});

// createChangeSource: the one place that picks a watcher for the recorder, by the `watcher`
// option. It is a file of its own so the contract (change-source.ts) does not import the sources
// that implement it: that made a cycle, whose helpers only worked because they were hoisted.

import type { WatcherKind } from '../../config.js';
import { assertNever } from '../record.js';
import type { ChangeSource, ChangeSourceOptions } from './change-source.js';
import { ChokidarSource } from './chokidar-source.js';
import { InotifySource } from './inotify-source.js';
import { ParcelSource } from './parcel-source.js';

export function createChangeSource(kind: WatcherKind, opts: ChangeSourceOptions): ChangeSource {
  switch (kind) {
    case 'inotify':
      return new InotifySource(opts);
    case 'parcel':
      return new ParcelSource(opts);
    case 'chokidar':
      return new ChokidarSource(opts);
    default:
      return assertNever(kind, 'change source');
  }
}

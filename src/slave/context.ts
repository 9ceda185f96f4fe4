// SlaveContext: what every slave-side operation works with once `hello` has opened the root.
// Invariant: all of it belongs to one slave root; nothing here is module-level state.

import type { Gfid } from '../changelog/index.js';
import type { Logger } from '../log.js';
import type { Confiner } from './confine.js';
import type { AtFs } from './fs-at.js';
import type { MethodName } from './protocol.js';
import type { SlaveIndex } from './slave-index.js';

export interface SlaveContext {
  readonly index: SlaveIndex;
  readonly confine: Confiner;
  /** The descriptor-relative calls every filesystem change goes through (confine.fs). */
  readonly fs: AtFs;
  /** Owners (uid/gid) and device nodes are applied only when the agent runs as root. */
  readonly isRoot: boolean;
  /**
   * Absolute path of <root>/.georep/staging, where rsync writes staged files (by path: the box
   * folders in it are the agent's, made under a descriptor of the state folder). The agent
   * itself reaches it only through confine.stateDir.
   */
  readonly stagingDir: string;
  readonly log: Logger;
  /**
   * gfids a deferred CREATE recorded in this session whose file the commit has not written yet.
   * Only a hint that saves lstat calls: a gfid missing here is simply looked at on disk.
   */
  readonly unwritten: Set<Gfid>;
  /**
   * Where this connection's seed copy stands: 'copying' after seedBegin, 'adopting' once
   * seedCommit moved it into the root. Only then does `adopt` trust unknown entries: the
   * slave held nothing before, so every one of them came from the master's copy.
   */
  seed: 'none' | 'copying' | 'adopting';
  readonly hooks: AgentHooks;
}

/**
 * Test seam. A local user on the slave may change the tree at any moment, between two ops of
 * one batch included; a test plays that user here, at a chosen point, so such a race is
 * deterministic instead of a flaky timing probe. `georep slave` passes none.
 */
export interface AgentHooks {
  /** Called before item `index` of a batch request (entry ops, meta ops, stage/commit items, purge dirs, adopt items). */
  readonly beforeItem?: (method: MethodName, index: number) => void;
}

// SlaveCaller: how the master side talks to a slave agent. The implementation (SlaveClient)
// spawns `georep slave ROOT` and speaks protocol.ts over its stdin/stdout.

import type { MethodName, Methods } from './protocol.js';

export interface SlaveCaller {
  call<M extends MethodName>(method: M, params: Methods[M]['params'], signal?: AbortSignal): Promise<Methods[M]['result']>;
}

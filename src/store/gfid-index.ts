// GfidIndex: the whole session index, one SQLite database per session (tests run it on
// ':memory:'), implemented by SqliteGfidIndex. It is the sum of narrow role interfaces (seed
// 004's "narrow broker": each caller sees only the calls it needs), one concept per file:
// names (name-index.ts), confirmations, recorder attributes, directory digests, the record
// journal, the failure ledger and session meta. Take the narrowest role(s) a caller uses;
// GfidIndex is for the processes that own the file (the recorder, the worker's turn).

import type { Confirmations } from './confirmations.js';
import type { DigestStore } from './digest-store.js';
import type { FailureLedgerStore } from './failure-ledger-store.js';
import type { NameIndex } from './name-index.js';
import type { RecordJournal } from './record-journal.js';
import type { RecorderAttrs } from './recorder-attrs.js';
import type { SessionMeta } from './session-meta.js';
import type { StoreConnection } from './store-connection.js';

export interface GfidIndex
  extends
    StoreConnection,
    NameIndex,
    Confirmations,
    RecorderAttrs,
    DigestStore,
    RecordJournal,
    FailureLedgerStore,
    SessionMeta {}

// Public surface of src/verify for the CLI: verify (compare a master and its slave, streaming
// one line per entry) and repair (re-queue what verify found divergent).
export { runVerify } from './run.js';
export type { VerifyOptions, VerifyProgress, VerifyResult } from './run.js';
export { formatLine, parseLine } from './lines.js';
export type { DoneLine, EntryLine, Totals } from './lines.js';
export { FirstDivergences, formatRepairSummary, formatVerifySummary } from './summary.js';
export { runRepair } from './repair-run.js';
export type { RepairReport } from './repair.js';
// deliver.ts (the one-shot sync after a repair) loads the whole master pipeline: imported by
// the CLI only when a repair runs.
export type { Delivery } from './deliver.js';
export { verifyProgress } from './progress.js';

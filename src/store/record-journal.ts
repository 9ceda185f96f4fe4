// RecordJournal: the records the recorder committed with the index changes they describe and
// has not yet published as a CHANGELOG file (recorder/journal.ts). Invariant: a record is
// dropped only after the changelog holding it is published, so a crash repeats, never loses.

export interface RecordJournal {
  /** Appends records to the journal (inside the transaction that made the index changes they describe). */
  journalAppend(lines: readonly string[]): void;
  /** The unpublished records, oldest first, with the seq of the last one (0n when empty). */
  journalRead(): { readonly lines: readonly string[]; readonly lastSeq: bigint };
  /** Forgets records up to and including `seq` (they are in a published CHANGELOG file). */
  journalDrop(seq: bigint): void;
}

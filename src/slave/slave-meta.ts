// Slave meta: the key/values of the slave agent's index (<root>/.georep/index.db, meta table).
// Invariant: every key is declared once, here, with what its value holds; SlaveIndex's meta
// calls take only these keys. The strings are the on-disk keys (older slave folders hold them).

/** Every slave meta key (as stored) → what its value holds. All values are strings. */
export const SLAVE_META = {
  slaveId:
    "This slave index's id (a UUID minted when it was made): a master that knew another id sends everything again",
  masterVolume:
    'The volume id of the master this slave root is bound to (the volume mark); unset until the first hello',
  masterPath: 'The master root of that volume, as the master named it (for the foreign-master refusal)',
  stimeMs:
    "The slave's copy of stime (the master's store/sync-points.ts defines it): unix ms the master last brought this slave up to (setStime); unset until then, and when another master binds it",
} as const;

/** A slave meta key: one of SLAVE_META's. */
export type SlaveMetaKey = keyof typeof SLAVE_META;

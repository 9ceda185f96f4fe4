// Purge axis, Normal: what the master deletes, the slave deletes.

export class PurgeNormal {
  propagatesDeletes(): boolean {
    return true;
  }
}

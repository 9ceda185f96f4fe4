// Purge axis, Noop (ignore-deletes): the slave keeps what the master deletes.

export class PurgeNoop {
  propagatesDeletes(): boolean {
    return false;
  }
}

// Sendmark axis, Rsync (use-rsync-xattrs, as gsyncd's SendmarkRsyncMixin): rsync also carries
// each file's extended attributes (-X), so user xattrs on regular files reach the slave.

export class SendmarkRsync {
  rsyncCarriesXattrs(): boolean {
    return true;
  }
}

// Sendmark axis, Rsync (use-rsync-xattrs): rsync carries each file's metadata and its xattrs
// (-X) itself, so no setattr follows the data; only directories and symlinks get one.

export class SendmarkRsync {
  fileMetaAfterData(): boolean {
    return false;
  }
  rsyncCarriesXattrs(): boolean {
    return true;
  }
}

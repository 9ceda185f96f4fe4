// Sendmark axis, Normal: after rsync delivers a file, its mode, owner and times are also set
// by an explicit setattr, as gsyncd's sendmark does; xattrs are not carried.

export class SendmarkNormal {
  fileMetaAfterData(): boolean {
    return true;
  }
  rsyncCarriesXattrs(): boolean {
    return false;
  }
}

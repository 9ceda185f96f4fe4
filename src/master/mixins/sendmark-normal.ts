// Sendmark axis, Normal: rsync carries each file's mode, owner and times (-a); extended
// attributes are not replicated. Directories and symlinks get their marks by setattr.

export class SendmarkNormal {
  rsyncCarriesXattrs(): boolean {
    return false;
  }
}

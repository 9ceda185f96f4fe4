// SlaveAddress: where the slave root is. A local folder, or a folder on another host reached
// over ssh, spelled `[user@]host:/abs/path` (scp style) or `ssh://[user@]host[:port]/abs/path`.
// Invariant: both spellings of one place give the same canonical string (user, host and port
// always written out), which is what names the session, so they are one session.

import os from 'node:os';
import path from 'node:path';
import { GeorepError } from '../errors.js';

export interface LocalSlave {
  readonly kind: 'local';
  /** Absolute path on this host. */
  readonly root: string;
}

export interface RemoteSlave {
  readonly kind: 'remote';
  readonly user: string;
  /** Host name (lower case) or IP address (an IPv6 one without brackets). */
  readonly host: string;
  readonly port: number;
  /** Absolute, normalized path on the slave host (resolved there, by the agent). */
  readonly root: string;
}

export type SlaveAddress = LocalSlave | RemoteSlave;

/** ssh's port when none is given. */
export const DEFAULT_SSH_PORT = 22;

const SCP_STYLE = /^(?:([^@/:[\]]+)@)?([^@/:[\]]+|\[[0-9A-Fa-f:.]+\]):(.*)$/;
const URL_STYLE = /^ssh:\/\/(?:([^@/]+)@)?([^@/:[\]]+|\[[0-9A-Fa-f:.]+\])(?::(\d+))?(\/.*)?$/;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const USER_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/;

/** True when `spec` names a remote slave (a `host:` prefix before any '/', or ssh://). */
export function isRemoteSpec(spec: string): boolean {
  return spec.startsWith('ssh://') || /^[^/]*:/.test(spec);
}

/**
 * Parses a remote slave address. `defaultUser` is the local user name (ssh's default too);
 * `sshPort` the session's ssh-port option (0: not set), which must agree with a port in the
 * address.
 */
export function parseRemoteSlave(spec: string, sshPort = 0, defaultUser = os.userInfo().username): RemoteSlave {
  const bad = (why: string): GeorepError =>
    new GeorepError(
      'USAGE',
      `slave ${spec}: ${why}; write [user@]host:/absolute/path or ssh://[user@]host[:port]/absolute/path`,
      { path: spec },
    );
  let user: string | undefined;
  let hostPart: string;
  let port: number | undefined;
  let root: string;
  const url = URL_STYLE.exec(spec);
  if (spec.startsWith('ssh://')) {
    if (url === null) throw bad('not a valid ssh:// address');
    user = url[1] === undefined ? undefined : decodeURIComponent(url[1]);
    hostPart = url[2] ?? '';
    port = url[3] === undefined ? undefined : Number(url[3]);
    root = url[4] === undefined ? '' : decodeURIComponent(url[4]);
  } else {
    const scp = SCP_STYLE.exec(spec);
    if (scp === null) throw bad('not a valid host:path address');
    user = scp[1];
    hostPart = scp[2] ?? '';
    root = scp[3] ?? '';
  }
  const host = hostPart.startsWith('[') ? hostPart.slice(1, -1).toLowerCase() : hostPart.toLowerCase();
  if (host === '' || (!hostPart.startsWith('[') && !HOST_NAME.test(host)))
    throw bad(`"${hostPart}" is not a host name`);
  if (user !== undefined && !USER_NAME.test(user)) throw bad(`"${user}" is not a user name`);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))
    throw bad('the port must be 1-65535');
  if (port !== undefined && sshPort !== 0 && port !== sshPort) {
    throw new GeorepError(
      'CONFIG_INVALID',
      `slave ${spec} names port ${port} but ssh-port is ${sshPort}; give the port in one place only`,
      { path: spec },
    );
  }
  if (!root.startsWith('/')) throw bad('the path on the slave host must be absolute');
  if (root.includes('\0')) throw bad('the path holds a NUL byte');
  return {
    kind: 'remote',
    user: user ?? defaultUser,
    host,
    port: port ?? (sshPort === 0 ? DEFAULT_SSH_PORT : sshPort),
    root: path.posix.normalize(root).replace(/(.)\/+$/, '$1'),
  };
}

/** The one spelling of an address: a session is named after it, and status shows it. */
export function canonicalSlave(a: SlaveAddress): string {
  if (a.kind === 'local') return a.root;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `ssh://${a.user}@${host}:${a.port}${a.root}`;
}

/** `user@host` as ssh and rsync take it (an IPv6 address bare: ssh's -p carries the port). */
export function sshDestination(a: RemoteSlave): string {
  return `${a.user}@${a.host}`;
}

// StatusService: the worker's per-session Unix socket (gsyncd's checkpoint service). On connect
// it answers in text; a client that sends `json\n` first gets one JSON object. Invariants: only
// the owner can connect (socket 0600 in a 0700 folder of a short path: Node silently truncates
// socket paths past 107 bytes); a stale socket file from a dead worker is replaced, a live
// one is never stolen.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GeorepError } from '../errors.js';
import { RUNTIME_FILES, runtimeDirName } from '../session-files.js';
import type { SessionStatus } from './session-status.js';
import { socketText } from './session-status.js';

/** How long the service waits for a client's `json\n` before answering in text. */
const REQUEST_WAIT_MS = 100;
/** How long a probe of an existing socket file may take before it counts as stale. */
const PROBE_MS = 500;
/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/** Where a session's socket lives: /tmp/georep-<uid>/<session hash>.sock (short, per user). */
export function statusSocketPath(sessionDir: string, tmpdir = os.tmpdir()): string {
  const uid = process.getuid?.() ?? 0;
  const hash = /--([0-9a-f]{12})$/.exec(path.basename(sessionDir))?.[1] ?? path.basename(sessionDir).slice(-12);
  const p = path.join(tmpdir, runtimeDirName(uid), RUNTIME_FILES.statusSocket(hash));
  if (Buffer.byteLength(p) > MAX_SOCKET_PATH) {
    throw new GeorepError(
      'SOCKET_UNUSABLE',
      `status socket path ${p} is longer than ${MAX_SOCKET_PATH} bytes; set TMPDIR shorter`,
    );
  }
  return p;
}

export class StatusService {
  private server: net.Server | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly snapshot: () => SessionStatus,
  ) {}

  async start(): Promise<void> {
    const dir = path.dirname(this.socketPath);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? st.uid)) {
      throw new GeorepError('SOCKET_UNUSABLE', `${dir} is not a directory of this user; remove it or set TMPDIR`, {
        path: dir,
      });
    }
    fs.chmodSync(dir, 0o700);
    if (fs.existsSync(this.socketPath)) {
      if (await answers(this.socketPath)) {
        throw new GeorepError('SESSION_BUSY', `another worker serves ${this.socketPath}`, { path: this.socketPath });
      }
      fs.rmSync(this.socketPath, { force: true }); // stale: its worker is gone
    }
    const server = net.createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(this.socketPath, 0o600);
    server.unref();
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private serve(sock: net.Socket): void {
    let asked = '';
    let done = false;
    const answer = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const s = this.snapshot();
      sock.end(asked.startsWith('json') ? JSON.stringify(s) + '\n' : socketText(s));
    };
    const timer = setTimeout(answer, REQUEST_WAIT_MS);
    sock.on('data', (d: Buffer) => {
      asked += d.toString('utf8');
      if (asked.includes('\n')) answer();
    });
    sock.on('end', answer);
    sock.on('error', () => clearTimeout(timer)); // the client went away: nothing to answer
  }
}

/** Asks a status socket for JSON; undefined when nothing answers (no daemon). */
export function queryStatus(socketPath: string, timeoutMs = PROBE_MS * 4): Promise<SessionStatus | undefined> {
  return new Promise((resolve) => {
    let data = '';
    const sock = net.connect(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(undefined);
    }, timeoutMs);
    sock.on('connect', () => sock.write('json\n'));
    sock.on('data', (d: Buffer) => (data += d.toString('utf8')));
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as SessionStatus);
      } catch {
        resolve(undefined);
      }
    });
    sock.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(false);
    }, PROBE_MS);
    sock.on('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

// `georep service install NAME MASTER SLAVE`: makes a session a systemd service, georep@NAME,
// by writing the template unit (running this georep), /etc/georep/NAME.env and, for --user, a
// drop-in. Invariant: it only writes files (under --root for images and tests); starting the
// service stays with systemctl, and an existing NAME for another session is never overwritten
// without --force.

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { GeorepError } from '../errors.js';
import type { CliContext } from './context.js';
import { resolveMasterRoot, resolveSlave } from './roots.js';
import { UNIT_FILE, checkInstanceName, renderEnvFile, renderUnit, renderUserDropIn } from './systemd-unit.js';

/** Where systemd reads administrator units, and where the sessions' env files go. */
const UNIT_DIR = 'etc/systemd/system';
const ENV_DIR = 'etc/georep';

const SERVICE_HELP = `
Examples:
  $ georep service install data /srv/data /backup/data
  $ systemctl daemon-reload && systemctl enable --now georep@data
  $ systemctl status georep@data        # the session's state line
  $ journalctl -u georep@data -f        # its log
  $ georep service install data /srv/data backup.example:/backup/data --user georep --force`;

interface InstallFlags {
  readonly user?: string;
  readonly group?: string;
  readonly workdir?: string;
  readonly root?: string;
  readonly force?: boolean;
}

export function addServiceCommands(program: Command, ctx: CliContext): void {
  const service = program.command('service').summary('run a session as a systemd service (georep@NAME)');
  service
    .command('install')
    .description(
      'Make the session MASTER -> SLAVE the systemd service georep@NAME: write the template unit ' +
        '(georep@.service, running this georep with start --foreground and stop), NAME.env with the ' +
        'session, and a drop-in for --user. Then enable it with systemctl.',
    )
    .argument('<name>', 'instance name: the service is georep@NAME')
    .argument('<master>', 'directory tree to replicate (must exist)')
    .argument('<slave>', 'local directory, or [user@]host:/path, to replicate into')
    .option(
      '--user <user>',
      'run the session as this user (default root: only root can give slave entries their owners)',
    )
    .option('--group <group>', 'and this group')
    .option('--workdir <dir>', "the service's workdir (default: its user's, /var/lib/georep for root)")
    .option('--root <dir>', 'write below this directory instead of / (an image being built)', '/')
    .option('--force', 'replace an existing georep@NAME that names another session')
    .addHelpText('after', SERVICE_HELP)
    .action((name: string, master: string, slave: string, flags: InstallFlags) => {
      checkInstanceName(name);
      const masterRoot = resolveMasterRoot(master);
      const parsed = resolveSlave(slave);
      // A remote slave keeps its spelling: its default user is the service's, not ours.
      const slaveValue = parsed.slave.kind === 'local' ? parsed.slave.root : slave;
      const root = path.resolve(flags.root ?? '/');
      const env: Record<string, string> = { GEOREP_MASTER: masterRoot, GEOREP_SLAVE: slaveValue };
      if (flags.workdir !== undefined) env['GEOREP_WORKDIR'] = path.resolve(flags.workdir);
      const files = {
        unit: path.join(root, UNIT_DIR, UNIT_FILE),
        env: path.join(root, ENV_DIR, `${name}.env`),
        dropIn: path.join(root, UNIT_DIR, `georep@${name}.service.d`, 'user.conf'),
      };
      const envText = renderEnvFile(
        `georep@${name}: the session this service runs (georep service install; see georep@.service).`,
        env,
      );
      refuseOtherSession(files.env, envText, name, flags.force === true);
      const written = [write(files.unit, renderUnit(ctx.io.selfCommand), 0o644), write(files.env, envText, 0o644)];
      if (flags.user !== undefined) written.push(write(files.dropIn, renderUserDropIn(flags.user, flags.group), 0o644));
      else if (flags.group !== undefined) throw new GeorepError('USAGE', '--group needs --user');
      else if (fs.existsSync(files.dropIn)) {
        fs.rmSync(files.dropIn); // installed again without --user: root, as the template says
        written.push(`${files.dropIn} (removed)`);
      }
      ctx.io.stdout.write(
        `georep: georep@${name} runs ${masterRoot} -> ${slaveValue}\n` +
          written.map((f) => `georep: wrote ${f}\n`).join('') +
          `georep: now run: systemctl daemon-reload && systemctl enable --now georep@${name}\n`,
      );
    });
}

/** An env file that names another session is kept unless --force. */
function refuseOtherSession(file: string, next: string, name: string, force: boolean): void {
  let current: string;
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch {
    return; // none yet (or unreadable: writing it will say why)
  }
  if (current !== next && !force) {
    throw new GeorepError(
      'USAGE',
      `georep@${name} is already installed for another session (${file}); pick another NAME, or --force to replace it`,
      { path: file },
    );
  }
}

function write(file: string, text: string, mode: number): string {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new GeorepError(
      'IO_ERROR',
      `cannot create ${path.dirname(file)}: ${e instanceof Error ? e.message : String(e)} (run as root, or use --root)`,
      { path: file, cause: e },
    );
  }
  writeFileAtomic(file, text, mode);
  return file;
}

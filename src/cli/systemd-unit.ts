// The systemd files of a georep service: the template unit (systemd/georep@.service, shipped
// with georep) made to run this very georep, the per-session environment file, and the drop-in
// that picks the user. Invariant: every value is written so systemd reads back exactly what
// was given (quoted and escaped by systemd's own rules), or refused with USAGE.

import { readFileSync } from 'node:fs';
import { GeorepError } from '../errors.js';

/** The template as shipped (beside conf/, in the repository and in the package). */
export const UNIT_TEMPLATE_URL = new URL('../../systemd/georep@.service', import.meta.url);
export const UNIT_FILE = 'georep@.service';
/** How the shipped template runs georep: found on systemd's PATH. */
const TEMPLATE_COMMAND = '/usr/bin/env georep';

/** A systemd instance name georep accepts (also the name of the env file). */
const INSTANCE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** A user or group name as useradd accepts it. */
const ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkInstanceName(name: string): void {
  if (!INSTANCE_NAME.test(name)) {
    throw new GeorepError(
      'USAGE',
      `service name ${JSON.stringify(name)} must be 1-64 letters, digits, '_', '.' or '-' (not first); it becomes georep@NAME`,
    );
  }
}

export function checkAccountName(what: 'user' | 'group', name: string): void {
  if (!ACCOUNT_NAME.test(name))
    throw new GeorepError('USAGE', `${what} ${JSON.stringify(name)} is not a valid ${what} name`);
}

/** The shipped template, with ExecStart/ExecStop running `command` (this georep) instead of PATH's. */
export function renderUnit(command: readonly string[], template = readFileSync(UNIT_TEMPLATE_URL, 'utf8')): string {
  const exec = command.map(quoteExecArg).join(' ');
  let replaced = 0;
  const out = template.replace(/^(ExecStart=|ExecStop=-)\/usr\/bin\/env georep /gm, (_m, key: string) => {
    replaced++;
    return `${key}${exec} `;
  });
  if (replaced !== 2 || !template.includes(TEMPLATE_COMMAND)) {
    throw new Error(`the unit template lacks its ExecStart and ExecStop lines (${replaced} found)`); // a packaging bug
  }
  return out;
}

/**
 * One word of an ExecStart= line: `%` and `$` doubled (specifiers and variables are expanded
 * there), and double-quoted with C escapes when it holds a blank, quote, backslash or `;`.
 */
export function quoteExecArg(arg: string): string {
  refuseControl('command argument', arg);
  const literal = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(literal) || literal === '' ? `"${literal.replace(/[\\"]/g, (c) => `\\${c}`)}"` : literal;
}

/**
 * An EnvironmentFile: `KEY="value"` lines; inside double quotes systemd takes `\"`, `\\`, `` \` ``
 * and `\$` literally and expands nothing.
 */
export function renderEnvFile(header: string, values: Readonly<Record<string, string>>): string {
  const lines = Object.entries(values).map(([k, v]) => {
    refuseControl(k, v);
    return `${k}="${v.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
  });
  return `${header.replace(/^/gm, '# ')}\n${lines.join('\n')}\n`;
}

/** The drop-in that runs one instance as another user (and group). */
export function renderUserDropIn(user: string, group: string | undefined): string {
  checkAccountName('user', user);
  if (group !== undefined) checkAccountName('group', group);
  return `# Written by georep service install: run this session as ${user}.\n[Service]\nUser=${user}\n${group === undefined ? '' : `Group=${group}\n`}`;
}

function refuseControl(what: string, v: string): void {
  if (CONTROL.test(v)) {
    throw new GeorepError(
      'USAGE',
      `${what} ${JSON.stringify(v)} holds a control character (a newline?); systemd files cannot carry it, use another path`,
    );
  }
}

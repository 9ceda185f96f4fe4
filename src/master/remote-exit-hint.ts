// What the exit of `ssh … georep slave ROOT` means, for the SlaveClient's death message: the
// causes an operator must act on (no georep there, a restricted key's gate refusing) as codes no
// retry fixes, and ssh's own 255, which stands for two causes.

import type { ErrorCode } from '../errors.js';

export function remoteExitHint(
  code: number,
  stderr: readonly string[],
  remoteGeorep: string,
  host: string,
  session: string,
): { readonly text: string; readonly code?: ErrorCode } | undefined {
  const refused = stderr.find((l) => l.includes('slave-gate: refused'));
  if (refused !== undefined)
    return {
      code: 'SSH_REFUSED',
      text: `the slave host let our key run only georep slave-gate (a restricted key), and it refused the agent (${refused.trim()}); if the slave root or remote-georep changed, run georep ssh-setup ${session} --make-key and put the line it prints in authorized_keys on the slave host`,
    };
  if (code === 127)
    return {
      code: 'SSH_REFUSED',
      text: `the georep command was not found on ${host} (remote-georep is "${remoteGeorep}"): install georep there, or set remote-georep to its command`,
    };
  if (code === 126)
    return {
      code: 'SSH_REFUSED',
      text: `the georep command on ${host} cannot be run (remote-georep is "${remoteGeorep}"): check its permissions there`,
    };
  if (code === 255)
    // ssh exits 255 both when its connection breaks and when the remote command dies of a
    // signal (sshd sends exit-signal, not exit-status): the text names both, and the caller
    // says what happens next (a live worker reconnects; a one-shot fails its run).
    return {
      code: 'SLAVE_UNREACHABLE',
      text: `the ssh session to ${host} ended without the agent's exit status (ssh exit 255): the connection broke, or the georep agent there was killed`,
    };
  return undefined;
}

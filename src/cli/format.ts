// Human formatting for terminal output: sizes, durations and untrusted text (file names).
// Invariant: formatted text is one line; control characters in names are shown escaped.

const BYTE_STEPS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
const KIBI = 1024;
const MS_PER_S = 1000;
const S_PER_MIN = 60;
const S_PER_H = 3600;

export function humanBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= KIBI && i < BYTE_STEPS.length - 1) {
    v /= KIBI;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${BYTE_STEPS[i]}`;
}

export function humanDuration(ms: number): string {
  const s = ms / MS_PER_S;
  if (s < S_PER_MIN) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < S_PER_H) return `${Math.floor(whole / S_PER_MIN)} min ${whole % S_PER_MIN} s`;
  return `${Math.floor(whole / S_PER_H)} h ${Math.floor((whole % S_PER_H) / S_PER_MIN)} min`;
}

/** Escapes C0/C1 controls (newline, escape, …) so a hostile name cannot break a line or the terminal. */
export function displayText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

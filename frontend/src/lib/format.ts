// Numbers and times as people read them.

/** Bytes in binary units: 0 B, 512 B, 1.5 KiB, 3.2 GiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  const digits = u === 0 || v >= 100 ? 0 : 1;
  return `${v.toFixed(digits)} ${units[u]}`;
}

/** A unix-ms time in the user's locale; `never` for null. */
export function formatTime(ms: number | null, never = 'never'): string {
  if (ms === null) return never;
  return new Date(ms).toLocaleString();
}

/** A fraction 0..1 as a whole percentage. */
export function percent(fraction: number): string {
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)} %`;
}

import { UsageError } from './commandLine.ts';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A length of time such as `90s`, `15m`, `2h` or `7d`, in milliseconds, within bounds; `fallback`
 * when the option is absent. One unit per value keeps it unambiguous (no `1h30m`).
 */
export function duration(flag: string, raw: string | undefined, fallback: number, maxMs: number): number {
  if (raw === undefined) return fallback;
  const match = /^(\d{1,6})([smhd])$/.exec(raw);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms > 0) || ms > maxMs) {
    throw new UsageError(
      `${flag} must be a length of time such as 90s, 15m, 2h or 7d, at most ${describeDuration(maxMs)}, got "${raw}"`,
    );
  }
  return ms;
}

/** The largest whole unit that fits, such as `15m` or `90d`; seconds below a minute. */
export function describeDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1_000)}s`;
}

/**
 * Whether a hand-read index is plausible against the meter's last known index: not below it (a
 * register does not go back) and not more than the plausible maximum per day since (a slipped digit
 * or decimal). An implausible index is kept, flagged, and never billed: it raises a re-read.
 */
export interface KnownIndex {
  index: number;
  at: Date;
}

export type Plausibility = { ok: true } | { ok: false; reason: string };

const DAY_MS = 86_400_000;

export function expectedRange(
  previous: KnownIndex | undefined,
  at: Date,
  maxPerDay: number,
): { min: number; max: number } | undefined {
  if (!previous) return undefined;
  const days = Math.max(1, (at.getTime() - previous.at.getTime()) / DAY_MS);
  return { min: previous.index, max: Math.round((previous.index + days * maxPerDay) * 10) / 10 };
}

export function checkRoundIndex(
  index: number,
  readAt: Date,
  previous: KnownIndex | undefined,
  maxPerDay: number,
): Plausibility {
  const range = expectedRange(previous, readAt, maxPerDay);
  if (!range) return { ok: true };
  if (index < range.min) return { ok: false, reason: `below the last known index ${range.min}` };
  if (index > range.max)
    return { ok: false, reason: `above the plausible maximum ${range.max} since the last index` };
  return { ok: true };
}

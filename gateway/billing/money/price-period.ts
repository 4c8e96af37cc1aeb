import '../errors.js';
import { GatewayError } from '../../platform/index.js';
import { daysBetween, daysInMonth, dayStr, dayNum, monthEnd, monthsOf, monthStart } from './calendar.js';
import type { MoneyTariffVersion } from './money-tariff.js';
import { priceSegment, type BillLine, type Segment } from './price-month.js';

export interface Totals {
  ht: number;
  tax: number;
  ttc: number;
}

export interface PricedMonth extends Totals {
  month: string;
  consumption: number;
}

export interface PricedPeriod extends Totals {
  lines: BillLine[];
  months: PricedMonth[];
}

export const sumLines = (lines: readonly Totals[]): Totals =>
  lines.reduce((t, l) => ({ ht: t.ht + l.ht, tax: t.tax + l.tax, ttc: t.ttc + l.ttc }), {
    ht: 0,
    tax: 0,
    ttc: 0,
  });

/**
 * Splits an integer `total` into integer parts proportional to `weights` (largest remainder, ties to
 * the earliest), so the parts always add up to the total exactly.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let rest = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (rest <= 0) break;
    parts[i]!++;
    rest--;
  }
  return parts;
}

/** The version in force on `day`: the latest effective on or before it. */
export function versionOn(versions: readonly MoneyTariffVersion[], day: string): MoneyTariffVersion {
  let best: MoneyTariffVersion | undefined;
  for (const v of versions)
    if (v.effectiveFrom <= day && (!best || v.effectiveFrom > best.effectiveFrom)) best = v;
  if (!best) {
    throw new GatewayError('MG_ERR_BILLING_UNKNOWN_TARIFF', { params: { id: versions[0]?.id ?? '?', day } });
  }
  return best;
}

/** Segments of one month inside [from, to]: cut at every tariff version change. */
export function monthSegments(
  month: string,
  from: string,
  to: string,
  versions: readonly MoneyTariffVersion[],
): Omit<Segment, 'consumption'>[] {
  const start = monthStart(month) > from ? monthStart(month) : from;
  const end = monthEnd(month) < to ? monthEnd(month) : to;
  const cuts = versions
    .map((v) => v.effectiveFrom)
    .filter((d) => d > start && d <= end)
    .sort();
  const out: Omit<Segment, 'consumption'>[] = [];
  let s = start;
  for (const c of [...new Set(cuts), dayStr(dayNum(end) + 1)]) {
    const e = dayStr(dayNum(c) - 1);
    out.push({
      month,
      from: s,
      to: e,
      days: daysBetween(s, e),
      monthDays: daysInMonth(month),
      tariff: versionOn(versions, s),
    });
    s = c;
  }
  return out;
}

/**
 * Prices a period. `consumption` is either the period's total (spread over its months by days, the
 * way a meter index difference is split when nothing finer is known) or each month's own figure
 * (regularisation: each month re-priced on its own blocks). Within a month, consumption is split
 * over the tariff versions in force by days (proration across a tariff change).
 */
export function pricePeriod(input: {
  from: string;
  to: string;
  versions: readonly MoneyTariffVersion[];
  consumption: number | readonly { month: string; consumption: number }[];
  social?: boolean;
}): PricedPeriod {
  const { from, to, versions } = input;
  if (to < from)
    throw new GatewayError('MG_ERR_BILLING_BAD_PERIOD', { params: { reason: `${to} is before ${from}` } });
  const months = monthsOf(from, to);
  let perMonth: number[];
  if (typeof input.consumption === 'number') {
    const weights = months.map((m) =>
      daysBetween(monthStart(m) > from ? monthStart(m) : from, monthEnd(m) < to ? monthEnd(m) : to),
    );
    perMonth = allocate(input.consumption, weights);
  } else {
    const byMonth = new Map(input.consumption.map((m) => [m.month, m.consumption]));
    perMonth = months.map((m) => byMonth.get(m) ?? 0);
  }
  const lines: BillLine[] = [];
  const priced: PricedMonth[] = [];
  months.forEach((month, i) => {
    const segs = monthSegments(month, from, to, versions);
    const parts = allocate(
      perMonth[i]!,
      segs.map((s) => s.days),
    );
    const monthLines = segs.flatMap((s, j) =>
      priceSegment({ ...s, consumption: parts[j]! }, { social: input.social }),
    );
    lines.push(...monthLines);
    priced.push({ month, consumption: perMonth[i]!, ...sumLines(monthLines) });
  });
  return { lines, months: priced, ...sumLines(lines) };
}

import type { DailyPoint, MonthlyPoint, RollupStore } from '../../metering/index.js';

export type ExportLang = 'fr' | 'en';
export const EXPORT_LANGS = ['fr', 'en'] as const;
export const EXPORT_FORMATS = ['csv', 'xlsx', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What every export format renders: one meter's consumption over whole calendar months. */
export interface ConsumptionReport {
  meterId: string;
  obis: string;
  unit: string;
  lang: ExportLang;
  from: string;
  to: string;
  generatedAt: Date;
  months: MonthlyPoint[];
  days: DailyPoint[];
}

/** The last `months` calendar months up to and including the current one (UTC), as days. */
export function monthWindow(months: number, now: Date): { from: string; to: string } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
  return { from: start.toISOString().slice(0, 10), to: now.toISOString().slice(0, 10) };
}

/** Every month of the window, zero-filled, so a month without data shows as 0 rather than vanishing. */
function fillMonths(from: string, months: number, points: MonthlyPoint[]): MonthlyPoint[] {
  const byMonth = new Map(points.map((p) => [p.month, p]));
  const out: MonthlyPoint[] = [];
  const d = new Date(`${from}T00:00:00Z`);
  for (let i = 0; i < months; i++) {
    const key = d.toISOString().slice(0, 7);
    out.push(byMonth.get(key) ?? { month: key, consumption: 0, days: 0, estimatedDays: 0 });
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}

export async function buildReport(
  rollups: Pick<RollupStore, 'dailySeries' | 'monthlySeries'>,
  options: { meterId: string; obis: string; unit: string; months: number; lang: ExportLang; now?: Date },
): Promise<ConsumptionReport> {
  const now = options.now ?? new Date();
  const { from, to } = monthWindow(options.months, now);
  const query = { meterId: options.meterId, obis: options.obis, from, to };
  const [monthly, days] = await Promise.all([rollups.monthlySeries(query), rollups.dailySeries(query)]);
  return {
    meterId: options.meterId,
    obis: options.obis,
    unit: options.unit,
    lang: options.lang,
    from,
    to,
    generatedAt: now,
    months: fillMonths(from, options.months, monthly),
    days,
  };
}

const LABELS = {
  fr: {
    title: 'Historique de consommation',
    meter: 'Compteur',
    period: 'Période',
    generated: 'Édité le',
    month: 'Mois',
    day: 'Jour',
    consumption: 'Consommation',
    days: 'Jours relevés',
    estimatedDays: 'Jours estimés',
    quality: 'Qualité',
    monthly: 'Mensuel',
    daily: 'Journalier',
    total: 'Total',
    measured: 'mesurée',
    estimated: 'estimée',
    customer: 'auto-relevé',
    note: 'Les jours estimés sont régularisés au prochain relevé réel.',
  },
  en: {
    title: 'Consumption history',
    meter: 'Meter',
    period: 'Period',
    generated: 'Issued on',
    month: 'Month',
    day: 'Day',
    consumption: 'Consumption',
    days: 'Days read',
    estimatedDays: 'Estimated days',
    quality: 'Quality',
    monthly: 'Monthly',
    daily: 'Daily',
    total: 'Total',
    measured: 'measured',
    estimated: 'estimated',
    customer: 'self-reading',
    note: 'Estimated days are corrected at the next actual reading.',
  },
} as const;
export type LabelKey = keyof (typeof LABELS)['fr'];

export function label(lang: ExportLang, key: LabelKey): string {
  return LABELS[lang][key];
}

const LOCALE: Record<ExportLang, string> = { fr: 'fr-MA', en: 'en-GB' };

export function monthName(lang: ExportLang, month: string): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${month}-01T00:00:00Z`),
  );
}

export function formatDay(lang: ExportLang, day: string): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(`${day}T00:00:00Z`),
  );
}

export function formatNumber(lang: ExportLang, n: number, digits = 2): string {
  return new Intl.NumberFormat(LOCALE[lang], {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(n);
}

export function formatDateTime(lang: ExportLang, d: Date): string {
  return (
    new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(
      d,
    ) + ' UTC'
  );
}

export function qualityLabel(lang: ExportLang, quality: string): string {
  return quality === 'estimated' || quality === 'customer' || quality === 'measured'
    ? label(lang, quality)
    : quality;
}

export function reportFileName(report: ConsumptionReport, format: ExportFormat): string {
  const safe = report.meterId.replace(/[^A-Za-z0-9._-]/g, '_');
  return `consumption-${safe}-${report.from.slice(0, 7)}-${report.to.slice(0, 7)}.${format}`;
}

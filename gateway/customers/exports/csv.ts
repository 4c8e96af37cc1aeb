import { stringify } from 'csv-stringify/sync';
import { formatNumber, label, qualityLabel, type ConsumptionReport } from './report.js';

/**
 * CSV (RFC 4180 quoting by csv-stringify). French spreadsheets expect `;` as the separator and a
 * decimal comma, so the French export uses both; a UTF-8 BOM lets Excel detect the encoding.
 * `detail: 'monthly'` gives one row per month, `'daily'` one row per day with its quality.
 */
export function renderCsv(report: ConsumptionReport, detail: 'monthly' | 'daily' = 'monthly'): Buffer {
  const { lang } = report;
  const delimiter = lang === 'fr' ? ';' : ',';
  const num = (n: number) => (lang === 'fr' ? formatNumber('fr', n, 3).replace(/\s/g, '') : n.toFixed(3));
  const unit = report.unit ? ` (${report.unit})` : '';
  const rows: string[][] =
    detail === 'monthly'
      ? [
          [
            label(lang, 'month'),
            label(lang, 'consumption') + unit,
            label(lang, 'days'),
            label(lang, 'estimatedDays'),
          ],
          ...report.months.map((m) => [m.month, num(m.consumption), String(m.days), String(m.estimatedDays)]),
        ]
      : [
          [label(lang, 'day'), label(lang, 'consumption') + unit, label(lang, 'quality')],
          ...report.days.map((d) => [d.day, num(d.consumption), qualityLabel(lang, d.quality)]),
        ];
  return Buffer.concat([
    Buffer.from('\uFEFF', 'utf8'),
    Buffer.from(stringify(rows, { delimiter, record_delimiter: 'windows' }), 'utf8'),
  ]);
}

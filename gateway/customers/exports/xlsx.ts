import { formatDateTime, label, monthName, qualityLabel, type ConsumptionReport } from './report.js';

/** XLSX workbook (exceljs): a monthly sheet with a total and a daily sheet; numbers stay numbers. */
export async function renderXlsx(report: ConsumptionReport): Promise<Buffer> {
  const { lang } = report;
  const { default: ExcelJS } = await import('exceljs'); // 0.3 s to load: only when a sheet is asked for
  const wb = new ExcelJS.Workbook();
  wb.creator = 'metergate';
  wb.created = report.generatedAt;
  const unit = report.unit ? ` (${report.unit})` : '';

  const monthly = wb.addWorksheet(label(lang, 'monthly'));
  monthly.addRow([`${label(lang, 'title')} — ${label(lang, 'meter')} ${report.meterId}`]).font = {
    bold: true,
    size: 14,
  };
  monthly.addRow([`${label(lang, 'period')}: ${report.from} → ${report.to}`]);
  monthly.addRow([`${label(lang, 'generated')}: ${formatDateTime(lang, report.generatedAt)}`]);
  monthly.addRow([]);
  const header = monthly.addRow([
    label(lang, 'month'),
    label(lang, 'consumption') + unit,
    label(lang, 'days'),
    label(lang, 'estimatedDays'),
  ]);
  header.font = { bold: true };
  const first = monthly.rowCount + 1;
  for (const m of report.months) {
    monthly.addRow([monthName(lang, m.month), m.consumption, m.days, m.estimatedDays]);
  }
  const last = monthly.rowCount;
  const total = report.months.reduce((s, m) => s + m.consumption, 0);
  const totalRow = monthly.addRow([
    label(lang, 'total'),
    { formula: `SUM(B${first}:B${last})`, result: total },
  ]);
  totalRow.font = { bold: true };
  monthly.getColumn(1).width = 22;
  monthly.getColumn(2).width = 22;
  monthly.getColumn(2).numFmt = '#,##0.000';
  monthly.getColumn(3).width = 14;
  monthly.getColumn(4).width = 14;

  const daily = wb.addWorksheet(label(lang, 'daily'));
  daily.addRow([label(lang, 'day'), label(lang, 'consumption') + unit, label(lang, 'quality')]).font = {
    bold: true,
  };
  for (const d of report.days) {
    daily.addRow([new Date(`${d.day}T00:00:00Z`), d.consumption, qualityLabel(lang, d.quality)]);
  }
  daily.getColumn(1).numFmt = 'yyyy-mm-dd';
  daily.getColumn(1).width = 14;
  daily.getColumn(2).numFmt = '#,##0.000';
  daily.getColumn(2).width = 22;
  daily.getColumn(3).width = 14;

  return Buffer.from(await wb.xlsx.writeBuffer());
}

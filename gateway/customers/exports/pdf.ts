import PDFDocument from 'pdfkit';
import { formatDateTime, formatNumber, label, monthName, type ConsumptionReport } from './report.js';

/**
 * A one-page A4 PDF (pdfkit, standard Helvetica so no font file ships): header, monthly table,
 * a bar chart of the months and the estimation note, like a utility's e-facture history page.
 */
export function renderPdf(report: ConsumptionReport): Promise<Buffer> {
  const { lang } = report;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `${label(lang, 'title')} ${report.meterId}`,
      Author: 'metergate',
      CreationDate: report.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const unit = report.unit ? ` (${report.unit})` : '';

  doc.font('Helvetica-Bold').fontSize(18).text(label(lang, 'title'));
  doc.moveDown(0.3).font('Helvetica').fontSize(11);
  doc.text(`${label(lang, 'meter')} : ${report.meterId}`);
  doc.text(`${label(lang, 'period')} : ${report.from} – ${report.to}`);
  doc.text(`${label(lang, 'generated')} : ${formatDateTime(lang, report.generatedAt)}`);
  doc.moveDown();

  // Monthly table.
  const x0 = 50;
  const cols = [170, 130, 90, 100];
  let y = doc.y;
  const row = (cells: string[], bold = false) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    let x = x0;
    cells.forEach((c, i) => {
      doc.text(c, x + 4, y + 4, { width: cols[i]! - 8, align: i === 0 ? 'left' : 'right', lineBreak: false });
      x += cols[i]!;
    });
    doc
      .moveTo(x0, y + 18)
      .lineTo(x, y + 18)
      .strokeColor('#bbbbbb')
      .lineWidth(0.5)
      .stroke();
    y += 20;
  };
  row(
    [
      label(lang, 'month'),
      label(lang, 'consumption') + unit,
      label(lang, 'days'),
      label(lang, 'estimatedDays'),
    ],
    true,
  );
  for (const m of report.months) {
    row([
      monthName(lang, m.month),
      formatNumber(lang, m.consumption),
      String(m.days),
      String(m.estimatedDays),
    ]);
  }
  const total = report.months.reduce((s, m) => s + m.consumption, 0);
  row([label(lang, 'total'), formatNumber(lang, total), '', ''], true);

  // Bar chart of the months.
  y += 20;
  const chartH = 160;
  const chartW = cols.reduce((a, b) => a + b, 0);
  const max = Math.max(1e-9, ...report.months.map((m) => m.consumption));
  const slot = chartW / Math.max(1, report.months.length);
  doc
    .moveTo(x0, y + chartH)
    .lineTo(x0 + chartW, y + chartH)
    .strokeColor('#333333')
    .lineWidth(1)
    .stroke();
  report.months.forEach((m, i) => {
    const h = (m.consumption / max) * (chartH - 20);
    const bx = x0 + i * slot + slot * 0.2;
    doc
      .rect(bx, y + chartH - h, slot * 0.6, h)
      .fillColor('#1f7a4d')
      .fill();
    doc.fillColor('#000000').font('Helvetica').fontSize(8);
    doc.text(formatNumber(lang, m.consumption, 0), bx - 10, y + chartH - h - 11, {
      width: slot * 0.6 + 20,
      align: 'center',
      lineBreak: false,
    });
    doc.text(monthName(lang, m.month), x0 + i * slot, y + chartH + 4, {
      width: slot,
      align: 'center',
      lineBreak: false,
    });
  });
  y += chartH + 30;
  doc.fillColor('#444444').fontSize(9).text(label(lang, 'note'), x0, y, { width: chartW });
  doc.end();
  return done;
}

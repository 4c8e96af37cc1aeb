import PDFDocument from 'pdfkit';
import { formatCentimes } from '../../billing/index.js';
import type { MyBill } from './my-bills.js';

/**
 * "My bills" exported as XLSX (numbers stay numbers: amounts in the currency with two decimals) and
 * as a PDF table. Column titles in French or English; the PDF of an Arabic page uses French titles
 * (pdfkit does not shape Arabic; the bill PDFs themselves are in Arabic).
 */
type Lang = 'fr' | 'ar' | 'en';
const COLUMNS: Record<'fr' | 'en' | 'ar', string[]> = {
  fr: [
    'N° client',
    'Contrat',
    'Compteur',
    'Échéance',
    'Date limite',
    'Montant HT',
    'Montant TTC',
    'N° facture',
    'Statut',
  ],
  en: [
    'Customer no.',
    'Contract',
    'Meter',
    'Due date',
    'Payment deadline',
    'Amount excl. tax',
    'Amount incl. tax',
    'Bill no.',
    'Status',
  ],
  ar: [
    'رقم الزبون',
    'العقد',
    'العداد',
    'تاريخ الاستحقاق',
    'آخر أجل للأداء',
    'المبلغ دون ضريبة',
    'المبلغ مع الضريبة',
    'رقم الفاتورة',
    'الحالة',
  ],
};
const row = (b: MyBill) => [b.customerNumber, b.contract, b.meter, b.dueDate, b.paymentDeadline];

export async function billsXlsx(
  bills: MyBill[],
  lang: Lang,
  monthly?: { month: string; consumption: number }[],
): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs'); // 0.3 s to load: only when a sheet is asked for
  const wb = new ExcelJS.Workbook();
  wb.creator = 'metergate';
  const sheet = wb.addWorksheet(lang === 'en' ? 'Bills' : lang === 'ar' ? 'الفواتير' : 'Factures', {
    views: [{ rightToLeft: lang === 'ar' }],
  });
  sheet.addRow(COLUMNS[lang]).font = { bold: true };
  for (const b of bills) {
    sheet.addRow([...row(b), b.amountHT / 100, b.amountTTC / 100, b.number, b.status]);
  }
  sheet.getColumn(6).numFmt = '#,##0.00';
  sheet.getColumn(7).numFmt = '#,##0.00';
  sheet.columns.forEach((c) => (c.width = 16));
  if (monthly) {
    const m = wb.addWorksheet(lang === 'en' ? 'Consumption' : lang === 'ar' ? 'الاستهلاك' : 'Consommation', {
      views: [{ rightToLeft: lang === 'ar' }],
    });
    m.addRow(
      lang === 'en'
        ? ['Month', 'Consumption']
        : lang === 'ar'
          ? ['الشهر', 'الاستهلاك']
          : ['Mois', 'Consommation'],
    ).font = {
      bold: true,
    };
    for (const r of monthly) m.addRow([r.month, r.consumption]);
    m.columns.forEach((c) => (c.width = 16));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function billsPdf(bills: MyBill[], lang: Lang, title: string): Promise<Buffer> {
  const l = lang === 'en' ? 'en' : 'fr';
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 36, info: { Title: title } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(14).text(title);
  doc.moveDown();
  const widths = [80, 80, 80, 75, 80, 85, 85, 85, 80];
  const line = (cells: string[], bold: boolean) => {
    const y = doc.y;
    let x = 36;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    cells.forEach((c, i) => {
      doc.text(c, x, y, { width: widths[i]! - 4 });
      x += widths[i]!;
    });
    doc.y = y + 16;
  };
  line(COLUMNS[l], true);
  for (const b of bills) {
    line(
      [...row(b), formatCentimes(b.amountHT, l), formatCentimes(b.amountTTC, l), b.number, b.status],
      false,
    );
  }
  doc.end();
  return done;
}

import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import type { Bill } from '../bills/bill.js';
import { formatCentimes } from '../money/rounding.js';
import { LABELS, type Lang } from './bill-labels.js';
import { layoutRtl } from './rtl-text.js';

/**
 * The bill as a PDF (pdfkit) in French (default), Arabic or English. The Arabic bill is laid out
 * right to left (columns mirrored, text placed by rtl-text.ts) in a font that has the Arabic glyphs
 * and OpenType shaping tables: DejaVu Sans (Debian package fonts-dejavu-core), or the TTF named by
 * METERGATE_PDF_FONT / METERGATE_PDF_FONT_BOLD.
 */
const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
];

export function billFonts(
  env: NodeJS.ProcessEnv = process.env,
): { regular: string; bold: string } | undefined {
  const regular = env.METERGATE_PDF_FONT ?? FONT_CANDIDATES.find((f) => existsSync(f));
  if (!regular || !existsSync(regular)) return undefined;
  const bold = env.METERGATE_PDF_FONT_BOLD ?? regular.replace(/DejaVuSans\.ttf$/, 'DejaVuSans-Bold.ttf');
  return { regular, bold: existsSync(bold) ? bold : regular };
}

export interface BillPdfOptions {
  lang?: Lang;
  /** Utility name printed in the header. */
  issuer?: string;
  /** The tariff is an example (printed as such). */
  exampleTariff?: boolean;
  customerName?: string;
  fonts?: { regular: string; bold: string };
}

const PAGE = { width: 595.28, height: 841.89, margin: 40 };
const CONTENT = PAGE.width - 2 * PAGE.margin;

type Align = 'left' | 'right';

class Writer {
  y = PAGE.margin;
  constructor(
    readonly doc: PDFKit.PDFDocument,
    readonly rtl: boolean,
  ) {}

  /** Draws `text` in the column [x, x+w] (LTR coordinates; mirrored for RTL). Returns its height. */
  cell(
    text: string,
    x: number,
    w: number,
    align: Align,
    opts: { bold?: boolean; size?: number } = {},
  ): number {
    const d = this.doc;
    d.font(opts.bold ? 'bold' : 'regular').fontSize(opts.size ?? 9);
    const lh = d.currentLineHeight(true);
    if (!this.rtl) {
      d.text(text, x, this.y, { width: w, align, lineBreak: true });
      return d.heightOfString(text, { width: w });
    }
    const mx = PAGE.width - x - w; // mirrored column
    const lines = layoutRtl(text, w, { widthOf: (s) => d.widthOfString(s) });
    lines.forEach((line, i) => {
      const lineWidth = line.runs.reduce((m, r) => Math.max(m, r.offset + r.width), 0);
      // In RTL "left" (start) is the right edge; "right" (end) the left edge.
      const right = align === 'left' ? mx + w : mx + lineWidth;
      for (const r of line.runs)
        d.text(r.text, right - r.offset - r.width, this.y + i * lh, { lineBreak: false });
    });
    return Math.max(1, lines.length) * lh;
  }

  row(
    cells: { text: string; x: number; w: number; align?: Align; bold?: boolean; size?: number }[],
    gap = 3,
  ): void {
    let h = 0;
    for (const c of cells) h = Math.max(h, this.cell(c.text, c.x, c.w, c.align ?? 'left', c));
    this.y += h + gap;
    if (this.y > PAGE.height - 80) {
      this.doc.addPage();
      this.y = PAGE.margin;
    }
  }

  rule(): void {
    this.doc
      .moveTo(PAGE.margin, this.y)
      .lineTo(PAGE.width - PAGE.margin, this.y)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    this.y += 5;
  }
}

/** Renders the bill; resolves to the PDF bytes. */
export async function renderBillPdf(bill: Bill, options: BillPdfOptions = {}): Promise<Buffer> {
  const lang = options.lang ?? 'fr';
  const L = LABELS[lang];
  const fonts = options.fonts ?? billFonts();
  if (!fonts && lang === 'ar')
    throw new Error('no font with Arabic glyphs: install fonts-dejavu-core or set METERGATE_PDF_FONT');
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    info: { Title: `${L.kind[bill.kind]} ${bill.number}`, Author: options.issuer ?? 'metergate' },
    lang: lang === 'ar' ? 'ar-MA' : lang === 'en' ? 'en' : 'fr-MA',
  });
  doc.registerFont('regular', fonts?.regular ?? 'Helvetica');
  doc.registerFont('bold', fonts?.bold ?? 'Helvetica-Bold');
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const w = new Writer(doc, lang === 'ar');
  const M = PAGE.margin;
  const money = (c: number) => formatCentimes(c, lang);
  const cur = lang === 'ar' ? 'درهم' : bill.currency;

  w.row([
    { text: options.issuer ?? 'metergate', x: M, w: CONTENT / 2, bold: true, size: 11 },
    { text: L.kind[bill.kind], x: M + CONTENT / 2, w: CONTENT / 2, align: 'right', bold: true, size: 14 },
  ]);
  w.row([
    { text: L.service[bill.service] ?? bill.service, x: M, w: CONTENT / 2 },
    {
      text: `${L.number} ${bill.number}`,
      x: M + CONTENT / 2,
      w: CONTENT / 2,
      align: 'right',
      bold: true,
      size: 11,
    },
  ]);
  w.rule();
  const info: [string, string][] = [
    [L.customerNumber, bill.customerNumber],
    [L.customer, options.customerName ?? ''],
    [L.contract, bill.contractNumber],
    [L.meter, bill.meterId],
    [L.period, `${bill.periodFrom} – ${bill.periodTo}`],
    [L.issuedOn, bill.issuedOn],
    [L.dueDate, bill.dueDate],
    [L.deadline, bill.paymentDeadline],
  ];
  for (let i = 0; i < info.length; i += 2) {
    const cells = [info[i]!, info[i + 1]!].flatMap(([label, value], k) => [
      { text: label, x: M + k * (CONTENT / 2), w: 110 },
      { text: value, x: M + k * (CONTENT / 2) + 112, w: CONTENT / 2 - 116, bold: true },
    ]);
    w.row(cells);
  }
  w.rule();

  w.row([{ text: L.indexes, x: M, w: CONTENT, bold: true, size: 10 }]);
  w.row([
    { text: L.previousIndex, x: M, w: 170 },
    { text: L.newIndex, x: M + 172, w: 170 },
    { text: L.consumption, x: M + 344, w: 171, align: 'right' as Align },
  ]);
  const unit = bill.service === 'water' ? 'm³' : 'kWh';
  w.row([
    { text: `${bill.previousIndex} (${L.quality[bill.previousQuality]})`, x: M, w: 170, bold: true },
    { text: `${bill.newIndex} (${L.quality[bill.newQuality]})`, x: M + 172, w: 170, bold: true },
    { text: `${bill.consumption} ${unit}`, x: M + 344, w: 171, align: 'right', bold: true },
  ]);
  w.rule();

  const cols = {
    label: [M, 195],
    qty: [M + 197, 55],
    price: [M + 254, 62],
    ht: [M + 318, 62],
    vat: [M + 382, 60],
    ttc: [M + 444, 71],
  } as const;
  w.row([{ text: L.lines, x: M, w: CONTENT, bold: true, size: 10 }]);
  w.row(
    [
      { text: '', x: cols.label[0], w: cols.label[1] },
      { text: L.qty, x: cols.qty[0], w: cols.qty[1], align: 'right' as Align },
      { text: L.unitPrice, x: cols.price[0], w: cols.price[1], align: 'right' as Align },
      { text: L.ht, x: cols.ht[0], w: cols.ht[1], align: 'right' as Align },
      { text: L.vat, x: cols.vat[0], w: cols.vat[1], align: 'right' as Align },
      { text: L.ttc, x: cols.ttc[0], w: cols.ttc[1], align: 'right' as Align },
    ].map((c) => ({ ...c, size: 7 })),
  );
  const multiMonth = new Set(bill.lines.map((l) => l.month)).size > 1;
  for (const l of bill.lines) {
    const qty = l.kind === 'fixed' ? `${l.quantity}/${l.of} ${L.days}` : `${l.quantity}`;
    const label = multiMonth && l.kind !== 'deduction' ? `${l.month}  ${l.label[lang]}` : l.label[lang];
    w.row(
      [
        { text: label, x: cols.label[0], w: cols.label[1] },
        { text: qty, x: cols.qty[0], w: cols.qty[1], align: 'right' as Align },
        {
          text: l.unitPriceP4 ? (l.unitPriceP4 / 10_000).toFixed(4) : '',
          x: cols.price[0],
          w: cols.price[1],
          align: 'right' as Align,
        },
        { text: money(l.ht), x: cols.ht[0], w: cols.ht[1], align: 'right' as Align },
        { text: money(l.tax), x: cols.vat[0], w: cols.vat[1], align: 'right' as Align },
        { text: money(l.ttc), x: cols.ttc[0], w: cols.ttc[1], align: 'right' as Align },
      ].map((c) => ({ ...c, size: 8 })),
      1,
    );
  }
  w.rule();

  if (bill.kind === 'regularisation' && bill.months.length) {
    w.row([{ text: L.months, x: M, w: CONTENT, bold: true, size: 10 }]);
    w.row(
      [
        { text: L.month, x: M, w: 120 },
        { text: L.realShare, x: M + 122, w: 130, align: 'right' as Align },
        { text: L.repriced, x: M + 254, w: 130, align: 'right' as Align },
        { text: L.billed, x: M + 386, w: 129, align: 'right' as Align },
      ].map((c) => ({ ...c, size: 7 })),
    );
    for (const m of bill.months) {
      w.row(
        [
          { text: m.month, x: M, w: 120 },
          { text: `${m.consumption} ${unit}`, x: M + 122, w: 130, align: 'right' as Align },
          { text: money(m.ttc), x: M + 254, w: 130, align: 'right' as Align },
          {
            text: `${m.billedConsumption ?? 0} ${unit} · ${money(m.billedTtc ?? 0)}`,
            x: M + 386,
            w: 129,
            align: 'right' as Align,
          },
        ].map((c) => ({ ...c, size: 8 })),
        1,
      );
    }
    w.rule();
  }

  const totals: [string, number, boolean][] = [
    [L.totalHT, bill.amountHT, false],
    [L.totalTax, bill.tax, false],
    [L.totalTTC, bill.amountTTC, true],
    [L.previousBalance, bill.previousBalance, false],
    [L.instalments, bill.instalmentsDue, false],
    [L.amountDue, bill.amountDue, true],
  ];
  for (const [label, value, bold] of totals) {
    w.row([
      { text: label, x: M + 255, w: 150, bold, size: bold ? 10 : 9 },
      { text: `${money(value)} ${cur}`, x: M + 405, w: 110, align: 'right', bold, size: bold ? 10 : 9 },
    ]);
  }
  w.rule();
  if (bill.estimated) w.row([{ text: L.estimatedNote, x: M, w: CONTENT, size: 8 }]);
  if (options.exampleTariff) w.row([{ text: L.exampleNote, x: M, w: CONTENT, size: 8 }]);
  doc.end();
  return done;
}

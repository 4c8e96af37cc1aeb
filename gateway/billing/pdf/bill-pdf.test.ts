import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/index.js';
import { listBills } from '../bills/bill-store.js';
import type { Bill } from '../bills/bill.js';
import { BillingRunner } from '../run/billing-run.js';
import { pdfRuns } from '../testing/pdf-text.js';
import { addAccount, billingWorld, dailyHistory, measuredIndex } from '../testing/world.js';
import { billFonts, renderBillPdf } from './bill-pdf.js';
import { layoutRtl, rtlRuns } from './rtl-text.js';

let db: SqlDatabase;
let estimated: Bill;
let regularisation: Bill;

beforeAll(async () => {
  db = await billingWorld();
  const a = await addAccount(db, 1, { subscribedAt: '2024-01-01', initialIndex: 0 });
  await dailyHistory(db, 'M-1', '2024-01-01', '2025-12-31', 5);
  await measuredIndex(db, 'M-1', '2025-12-31', 3650, 5);
  const runner = new BillingRunner({ db, clock: () => new Date('2026-06-20T00:00:00Z') });
  for (const p of ['2025-12', '2026-01', '2026-02']) await runner.execute((await runner.create(p, 't')).id);
  await measuredIndex(db, 'M-1', '2026-03-31', 4550, 10);
  await runner.execute((await runner.create('2026-03', 't')).id);
  const bills = await listBills(db, { customerId: a.customerId }, '2026-06-20');
  regularisation = bills[0]!;
  estimated = bills[1]!;
});
afterAll(() => db.close());

describe('right-to-left runs', () => {
  it('keeps Arabic words apart, groups left-to-right words and mirrors brackets', () => {
    expect(rtlRuns('المؤشر الجديد 4550 kWh (حقيقي)')).toEqual([
      { text: 'المؤشر', rtl: true },
      { text: 'الجديد', rtl: true },
      { text: '4550 kWh', rtl: false },
      { text: ')حقيقي(', rtl: true },
    ]);
  });
  it('places runs from the right edge and wraps on width', () => {
    const lines = layoutRtl('أ ب ج', 30, { widthOf: (s) => s.length * 10 });
    expect(lines.map((l) => l.runs.map((r) => [r.text, r.offset]))).toEqual([
      [
        ['أ', 0],
        ['ب', 20],
      ],
      [['ج', 0]],
    ]);
  });
});

describe('bill PDF', () => {
  it('has a font with Arabic glyphs on this machine (fonts-dejavu-core)', () => {
    expect(billFonts()).toBeDefined();
  });

  it('French (default): every field of the bill, read back by pdf.js', async () => {
    const { runs } = await pdfRuns(
      await renderBillPdf(estimated, { customerName: 'Mme Amina Alaoui', exampleTariff: true }),
    );
    const text = runs.join(' | ');
    for (const s of [
      'FACTURE',
      `N° de facture ${estimated.number}`,
      'N° client',
      estimated.customerNumber,
      estimated.contractNumber,
      estimated.meterId,
      'Mme Amina Alaoui',
      `${estimated.periodFrom} – ${estimated.periodTo}`,
      'Échéance',
      estimated.dueDate,
      'Date limite de paiement',
      estimated.paymentDeadline,
      `${estimated.previousIndex} (estimé)`,
      `${estimated.newIndex} (estimé)`,
      'Montant à payer',
      'Solde antérieur',
      'Index estimé',
      'EXEMPLE',
    ])
      expect(text).toContain(s);
  });

  it('regularisation: the months and what each was re-priced at', async () => {
    const { runs } = await pdfRuns(await renderBillPdf(regularisation, { lang: 'en' }));
    const text = runs.join(' | ');
    expect(text).toContain('REGULARISATION BILL');
    expect(text).toContain('Months regularised');
    for (const m of regularisation.months) expect(text).toContain(m.month);
    expect(text).toContain('Estimated bill No.');
  });

  it('Arabic: shaped glyphs map back to the Arabic text; numbers stay left to right', async () => {
    const pdf = await renderBillPdf(regularisation, { lang: 'ar' });
    const { runs } = await pdfRuns(pdf);
    // pdf.js returns each Arabic word (drawn on its own) in logical order through the ToUnicode map.
    const words = new Set(runs.map((r) => r.trim()));
    for (const w of ['فاتورة', 'تسوية', 'الزبون', 'المؤشر', 'الجديد', 'الواجب', 'أداؤه', 'درهم'])
      expect(words).toContain(w);
    expect(runs.join(' ')).toContain(regularisation.number);
    // Rendered to an image by poppler (pdftoppm): a real page, not an empty one.
    const dir = mkdtempSync(join(tmpdir(), 'mg-bill-'));
    try {
      writeFileSync(join(dir, 'bill.pdf'), pdf);
      execFileSync('pdftoppm', [
        '-png',
        '-r',
        '40',
        '-f',
        '1',
        '-l',
        '1',
        join(dir, 'bill.pdf'),
        join(dir, 'page'),
      ]);
      const png = readdirSync(dir).find((f) => f.endsWith('.png'))!;
      expect(statSync(join(dir, png)).size).toBeGreaterThan(5_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

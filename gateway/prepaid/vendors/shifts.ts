import { randomUUID } from 'node:crypto';
import PDFDocument from 'pdfkit';
import {
  isUniqueViolation,
  type Principal,
  type SqlDatabase,
  type SqlExecutor,
} from '../../platform/index.js';
import { LedgerError } from '../ledger/errors.js';
import { audit, cents, money } from '../vending/ledger-tx.js';
import { getVendor, ownVendor } from './vendors.js';

export interface ShiftRow {
  id: string;
  vendor_id: string;
  status: 'open' | 'closed';
  opened_by: string;
  opened_at: Date;
  opening_cash: number;
  closed_by: string | null;
  closed_at: Date | null;
  expected_cash: number | null;
  counted_cash: number | null;
  variance: number | null;
}

export function shiftView(s: ShiftRow): Record<string, unknown> {
  return {
    shiftId: s.id,
    vendorId: s.vendor_id,
    status: s.status,
    openedBy: s.opened_by,
    openedAt: new Date(s.opened_at).toISOString(),
    openingCash: Number(s.opening_cash),
    closedBy: s.closed_by,
    closedAt: s.closed_at ? new Date(s.closed_at).toISOString() : null,
    expectedCash: s.expected_cash === null ? null : Number(s.expected_cash),
    countedCash: s.counted_cash === null ? null : Number(s.counted_cash),
    variance: s.variance === null ? null : Number(s.variance),
  };
}

/** Open a vendor's shift (one open shift per vendor): every movement until the close belongs to it. */
export async function openShift(
  db: SqlDatabase,
  principal: Principal,
  vendorId: string,
  openingCash: number,
  now: Date,
): Promise<Record<string, unknown>> {
  ownVendor(principal, vendorId);
  await getVendor(db, vendorId);
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<ShiftRow>(
        `INSERT INTO shifts (id, vendor_id, opened_by, opened_at, opening_cash) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [randomUUID(), vendorId, principal.id, now, money(cents(openingCash))],
      );
      await audit(tx, principal, 'shift.open', vendorId, { shiftId: rows[0]!.id, openingCash });
      return shiftView(rows[0]!);
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const open = await db.query<{ id: string }>(
      `SELECT id FROM shifts WHERE vendor_id = $1 AND status = 'open'`,
      [vendorId],
    );
    throw new LedgerError('MG_ERR_SHIFT_STATE', {
      params: { reason: `vendor ${vendorId} already has an open shift` },
      details: { shiftId: open.rows[0]?.id },
    });
  }
}

export async function getShift(db: SqlExecutor, principal: Principal, shiftId: string): Promise<ShiftRow> {
  const { rows } = await db.query<ShiftRow>('SELECT * FROM shifts WHERE id = $1', [shiftId]);
  const s = rows[0];
  if (!s || (principal.role === 'vendor' && principal.vendorId !== s.vendor_id)) {
    throw new LedgerError('MG_ERR_SHIFT_UNKNOWN');
  }
  return s;
}

/** Close with the cash-up: expected = opening cash + cash movements of the shift; variance = counted − expected. */
export async function closeShift(
  db: SqlDatabase,
  principal: Principal,
  shiftId: string,
  countedCash: number,
  now: Date,
): Promise<Record<string, unknown>> {
  await getShift(db, principal, shiftId);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<ShiftRow>('SELECT * FROM shifts WHERE id = $1 FOR UPDATE', [shiftId]);
    const s = rows[0]!;
    if (s.status !== 'open') {
      throw new LedgerError('MG_ERR_SHIFT_STATE', {
        params: { reason: `shift ${shiftId} is already closed` },
      });
    }
    const cash = await tx.query<{ cash: number }>(
      'SELECT COALESCE(sum(cash), 0) AS cash FROM vendor_movements WHERE shift_id = $1',
      [shiftId],
    );
    const expected = cents(Number(s.opening_cash)) + cents(Number(cash.rows[0]!.cash));
    const counted = cents(countedCash);
    const closed = await tx.query<ShiftRow>(
      `UPDATE shifts SET status = 'closed', closed_by = $2, closed_at = $3, expected_cash = $4, counted_cash = $5,
              variance = $6 WHERE id = $1 RETURNING *`,
      [shiftId, principal.id, now, money(expected), money(counted), money(counted - expected)],
    );
    await audit(tx, principal, 'shift.close', s.vendor_id, {
      shiftId,
      expected: money(expected),
      counted: money(counted),
      variance: money(counted - expected),
    });
    return shiftView(closed.rows[0]!);
  });
}

export interface ZReport {
  title: string;
  scope: { vendorId?: string; agencyId?: string; shiftId?: string; day?: string };
  generatedAt: string;
  shift?: Record<string, unknown>;
  lines: Array<{ kind: string; count: number; cash: number; commission: number; float: number }>;
  totals: { cash: number; commission: number; float: number; vends: number; reversals: number };
  balance?: number;
}

const LABELS: Record<string, string> = {
  vend: 'Ventes / Sales',
  reversal: 'Annulations / Reversals',
  'top-up': 'Approvisionnements / Top-ups',
  settlement: 'Règlements / Settlements',
};

async function linesOf(db: SqlExecutor, where: string, params: unknown[]): Promise<ZReport['lines']> {
  const { rows } = await db.query<{
    kind: string;
    n: number;
    cash: number;
    commission: number;
    amount: number;
  }>(
    `SELECT kind, count(*)::int AS n, COALESCE(sum(cash), 0) AS cash, COALESCE(sum(commission), 0) AS commission,
            COALESCE(sum(amount), 0) AS amount
       FROM vendor_movements mv WHERE ${where} GROUP BY kind ORDER BY kind`,
    params,
  );
  return rows.map((r) => ({
    kind: r.kind,
    count: Number(r.n),
    cash: Number(r.cash),
    commission: Number(r.commission),
    float: Number(r.amount),
  }));
}

function totalsOf(lines: ZReport['lines']): ZReport['totals'] {
  const sum = (f: (l: ZReport['lines'][number]) => number): number =>
    money(lines.reduce((a, l) => a + cents(f(l)), 0));
  return {
    cash: sum((l) => l.cash),
    commission: sum((l) => l.commission),
    float: sum((l) => l.float),
    vends: lines.find((l) => l.kind === 'vend')?.count ?? 0,
    reversals: lines.find((l) => l.kind === 'reversal')?.count ?? 0,
  };
}

/** The end-of-shift Z-report of one vendor's shift. */
export async function shiftZReport(
  db: SqlExecutor,
  principal: Principal,
  shiftId: string,
  now: Date,
): Promise<ZReport> {
  const s = await getShift(db, principal, shiftId);
  const v = await getVendor(db, s.vendor_id);
  const lines = await linesOf(db, 'mv.shift_id = $1', [shiftId]);
  return {
    title: `Z ${v.name} (${v.id})`,
    scope: { vendorId: v.id, shiftId },
    generatedAt: now.toISOString(),
    shift: shiftView(s),
    lines,
    totals: totalsOf(lines),
    balance: Number(v.balance),
  };
}

/** The end-of-day Z-report of an agency: its own counter and every vendor attached to it, one UTC day. */
export async function agencyZReport(
  db: SqlExecutor,
  agencyId: string,
  day: string,
  now: Date,
): Promise<ZReport> {
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  await getVendor(db, agencyId);
  const lines = await linesOf(
    db,
    `mv.vendor_id IN (SELECT id FROM vendors WHERE id = $1 OR agency_id = $1) AND mv.created_at >= $2 AND mv.created_at < $3`,
    [agencyId, from, to],
  );
  return {
    title: `Z agence ${agencyId} ${day}`,
    scope: { agencyId, day },
    generatedAt: now.toISOString(),
    lines,
    totals: totalsOf(lines),
  };
}

const csvCell = (x: unknown): string => {
  const s = x === null || x === undefined ? '' : String(x);
  return /[",\n;]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function zReportCsv(z: ZReport): string {
  const out = [['section', 'kind', 'count', 'cash', 'commission', 'float'].join(',')];
  for (const l of z.lines)
    out.push(['line', l.kind, l.count, l.cash, l.commission, l.float].map(csvCell).join(','));
  const t = z.totals;
  out.push(['total', '', t.vends + t.reversals, t.cash, t.commission, t.float].map(csvCell).join(','));
  if (z.shift) {
    for (const k of ['openingCash', 'expectedCash', 'countedCash', 'variance'] as const)
      out.push(['cash-up', k, '', z.shift[k], '', ''].map(csvCell).join(','));
  }
  if (z.balance !== undefined) out.push(['float', 'balance', '', '', '', z.balance].map(csvCell).join(','));
  return `${out.join('\n')}\n`;
}

export function zReportPdf(z: ZReport): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: z.title, Author: 'metergate' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(16).text(`Rapport Z / Z-report — ${z.title}`);
  doc.font('Helvetica').fontSize(10).text(`Généré / generated: ${z.generatedAt}`);
  if (z.shift) {
    const s = z.shift;
    doc.text(
      `Session / shift: ${String(s.shiftId)}  ${String(s.openedAt)} – ${String(s.closedAt ?? 'ouverte / open')}`,
    );
  }
  doc.moveDown();
  doc
    .font('Helvetica-Bold')
    .text('Opération / kind        Nombre   Espèces / cash   Commission   Provision / float');
  doc.font('Helvetica');
  for (const l of z.lines) {
    doc.text(
      `${(LABELS[l.kind] ?? l.kind).padEnd(32)} ${String(l.count).padStart(5)}   ${l.cash.toFixed(2).padStart(12)}   ${l.commission.toFixed(2).padStart(10)}   ${l.float.toFixed(2).padStart(12)}`,
    );
  }
  doc.moveDown();
  doc
    .font('Helvetica-Bold')
    .text(
      `Total: ${z.totals.vends} ventes / sales, ${z.totals.reversals} annulations / reversals, espèces / cash ${z.totals.cash.toFixed(2)}, commission ${z.totals.commission.toFixed(2)}`,
    );
  if (z.shift) {
    const s = z.shift;
    const f = (x: unknown): string => (typeof x === 'number' ? x.toFixed(2) : '—');
    doc.font('Helvetica').moveDown();
    doc.text(`Fonds de caisse / opening cash: ${f(s.openingCash)}`);
    doc.text(`Attendu / expected: ${f(s.expectedCash)}`);
    doc.text(`Compté / counted: ${f(s.countedCash)}`);
    doc.text(`Écart / variance: ${f(s.variance)}`);
  }
  if (z.balance !== undefined) doc.text(`Solde provision / float balance: ${z.balance.toFixed(2)}`);
  doc.end();
  return done;
}

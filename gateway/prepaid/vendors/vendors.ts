import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  invalidRequest,
  isUniqueViolation,
  type Principal,
  type SqlDatabase,
  type SqlExecutor,
} from '../../platform/index.js';
import { LedgerError } from '../ledger/errors.js';
import { audit, cents, money, type OpeningHours, type VendorRow } from '../vending/ledger-tx.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/** A vendor account: agency counter, shop, bank or mobile agent. */
export const VendorInput = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: Type.Union([
      Type.Literal('agency'),
      Type.Literal('shop'),
      Type.Literal('bank'),
      Type.Literal('mobile'),
    ]),
    agencyId: Type.Optional(Id),
    /** float: sells only what was prepaid; credit: may go down to -creditLimit. */
    mode: Type.Union([Type.Literal('float'), Type.Literal('credit')], { default: 'float' }),
    creditLimit: Type.Number({ minimum: 0, maximum: 1e9, default: 0 }),
    commissionPercent: Type.Number({ minimum: 0, maximum: 100, default: 0 }),
    hours: Type.Optional(
      Type.Object(
        {
          open: HHMM,
          close: HHMM,
          days: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { maxItems: 7 })),
          utcOffsetMinutes: Type.Optional(Type.Integer({ minimum: -720, maximum: 840 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type VendorInput = Static<typeof VendorInput>;

export function vendorView(v: VendorRow): Record<string, unknown> {
  return {
    id: v.id,
    name: v.name,
    kind: v.kind,
    agencyId: v.agency_id,
    mode: v.mode,
    balance: Number(v.balance),
    creditLimit: Number(v.credit_limit),
    available: money(cents(Number(v.balance)) + cents(Number(v.credit_limit))),
    commissionPercent: Number(v.commission_percent),
    hours: v.hours,
  };
}

export async function upsertVendor(db: SqlExecutor, raw: unknown): Promise<Record<string, unknown>> {
  const v = Value.Default(VendorInput, structuredClone(raw)) as VendorInput;
  const first = Value.Errors(VendorInput, v).First();
  if (first)
    throw invalidRequest({ field: `body${first.path}`, reason: `vendor ${first.path}: ${first.message}` });
  if (v.mode === 'float' && v.creditLimit > 0) {
    throw invalidRequest({
      field: 'body/creditLimit',
      reason: 'a float vendor has no credit limit (mode credit)',
    });
  }
  const { rows } = await db.query<VendorRow>(
    `INSERT INTO vendors (id, name, kind, agency_id, mode, credit_limit, commission_percent, hours)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, agency_id = excluded.agency_id,
       mode = excluded.mode, credit_limit = excluded.credit_limit,
       commission_percent = excluded.commission_percent, hours = excluded.hours
     RETURNING *`,
    [
      v.id,
      v.name,
      v.kind,
      v.agencyId ?? null,
      v.mode,
      v.creditLimit,
      v.commissionPercent,
      v.hours ? JSON.stringify(v.hours) : null,
    ],
  );
  return vendorView(rows[0]!);
}

export async function getVendor(db: SqlExecutor, id: string): Promise<VendorRow> {
  const { rows } = await db.query<VendorRow>('SELECT * FROM vendors WHERE id = $1', [id]);
  if (!rows[0]) throw new LedgerError('MG_ERR_VENDOR_UNKNOWN', { params: { vendorId: id } });
  return rows[0];
}

/** A vendor principal sees only its own account. */
export function ownVendor(principal: Principal, vendorId: string): void {
  if (principal.role === 'vendor' && principal.vendorId !== vendorId) {
    throw new LedgerError('MG_ERR_VENDOR_UNKNOWN', { params: { vendorId } });
  }
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Open at `now` by the vendor's local opening hours (none: always open; close < open spans midnight). */
export function isOpen(hours: OpeningHours | null, now: Date): boolean {
  if (!hours) return true;
  const local = new Date(now.getTime() + (hours.utcOffsetMinutes ?? 60) * 60_000);
  if (hours.days && !hours.days.includes(local.getUTCDay())) return false;
  const m = local.getUTCHours() * 60 + local.getUTCMinutes();
  const open = minutesOf(hours.open);
  const close = minutesOf(hours.close);
  return open <= close ? m >= open && m < close : m >= open || m < close;
}

export function assertOpen(vendor: VendorRow, now: Date): void {
  if (!isOpen(vendor.hours, now)) {
    throw new LedgerError('MG_ERR_VENDOR_CLOSED', {
      params: { vendorId: vendor.id },
      details: { hours: vendor.hours },
    });
  }
}

export interface Movement {
  vendorId: string;
  kind:
    | 'top-up'
    | 'settlement'
    | 'vend'
    | 'reversal'
    | 'offline-allowance'
    | 'offline-release'
    | 'offline-overspend';
  /** Signed change of the vendor's balance. */
  amount: number;
  /** Cash into (+) or out of (−) the vendor's drawer. */
  cash: number;
  commission?: number;
  vendId?: string | null;
  requestId?: string | null;
  actor: string;
  at: Date;
}

/**
 * Move a vendor's balance by one ledger movement, attached to the vendor's open shift. The
 * balance update carries the float/credit check in its WHERE, so a movement that would take the
 * vendor below its credit limit writes nothing and is refused. Locks the vendor row until commit.
 * Never the transaction's last statement: the refusal is thrown after it, and a pipelined commit
 * would have made the sale's other writes durable already.
 */
export async function moveVendor(
  tx: SqlExecutor,
  m: Movement,
): Promise<{ balance: number; shiftId: string | null }> {
  const { rows } = await tx.query<{
    balance: number | null;
    shift_id: string | null;
    before: number | null;
    credit_limit: number | null;
  }>(
    `WITH s AS (SELECT id FROM shifts WHERE vendor_id = $1 AND status = 'open'),
     u AS (UPDATE vendors SET balance = balance + $2 WHERE id = $1 AND balance + $2 >= -credit_limit RETURNING balance),
     mv AS (INSERT INTO vendor_movements (vendor_id, kind, vend_id, shift_id, request_id, amount, cash, commission, actor, created_at)
            SELECT $1, $3, $4, (SELECT id FROM s), $5, $2, $6, $7, $8, $9 FROM u RETURNING id)
     SELECT (SELECT balance FROM u) AS balance, (SELECT id FROM s) AS shift_id,
            (SELECT balance FROM vendors WHERE id = $1) AS before,
            (SELECT credit_limit FROM vendors WHERE id = $1) AS credit_limit`,
    [
      m.vendorId,
      m.amount,
      m.kind,
      m.vendId ?? null,
      m.requestId ?? null,
      m.cash,
      m.commission ?? 0,
      m.actor,
      m.at,
    ],
  );
  const r = rows[0]!;
  if (r.before === null) throw new LedgerError('MG_ERR_VENDOR_UNKNOWN', { params: { vendorId: m.vendorId } });
  if (r.balance === null) {
    const available = money(cents(Number(r.before)) + cents(Number(r.credit_limit)));
    throw new LedgerError('MG_ERR_VENDOR_FLOAT', {
      params: { vendorId: m.vendorId, available, needed: money(-cents(m.amount)) },
    });
  }
  return { balance: Number(r.balance), shiftId: r.shift_id };
}

/** Commission on a sale by the vendor's rule (percent of the money, rounded to the centime). */
export function commissionOf(vendor: Pick<VendorRow, 'commission_percent'>, moneyCents: number): number {
  return Math.round((moneyCents * Number(vendor.commission_percent)) / 100);
}

/** A float top-up (vendor prepays) or a settlement (vendor remits, > 0, or is paid out, < 0); idempotent by requestId. */
export async function recordFloatMovement(
  db: SqlDatabase,
  principal: Principal,
  vendorId: string,
  req: { kind: 'top-up' | 'settlement'; requestId: string; amount: number; cashFromDrawer?: boolean },
  now: Date,
): Promise<Record<string, unknown>> {
  if (!Number.isFinite(req.amount) || req.amount === 0 || (req.kind === 'top-up' && req.amount < 0)) {
    throw invalidRequest({
      field: 'body/amount',
      reason: req.kind === 'top-up' ? 'a top-up is a positive amount' : 'a settlement is a non-zero amount',
    });
  }
  const amount = money(cents(req.amount));
  const cash = req.cashFromDrawer ? -amount : 0;
  const replay = async (): Promise<Record<string, unknown> | undefined> => {
    const { rows } = await db.query<{ kind: string; amount: number; cash: number; shift_id: string | null }>(
      'SELECT kind, amount, cash, shift_id FROM vendor_movements WHERE vendor_id = $1 AND request_id = $2',
      [vendorId, req.requestId],
    );
    const p = rows[0];
    if (!p) return undefined;
    if (
      p.kind !== req.kind ||
      cents(Number(p.amount)) !== cents(amount) ||
      cents(Number(p.cash)) !== cents(cash)
    ) {
      throw new LedgerError('MG_ERR_VEND_REQUEST_ID_REUSED', {
        details: {
          reason: `requestId ${JSON.stringify(req.requestId)} was already used for a different movement`,
        },
      });
    }
    const v = await getVendor(db, vendorId);
    return { kind: p.kind, amount, shiftId: p.shift_id, vendor: vendorView(v), replayed: true };
  };
  const earlier = await replay();
  if (earlier) return earlier;
  try {
    return await db.transaction(async (tx) => {
      const { shiftId } = await moveVendor(tx, {
        vendorId,
        kind: req.kind,
        amount,
        cash,
        requestId: req.requestId,
        actor: principal.id,
        at: now,
      });
      await audit(tx, principal, `vendor.${req.kind}`, vendorId, {
        requestId: req.requestId,
        amount,
        cash,
        shiftId,
      });
      return { kind: req.kind, amount, shiftId, vendor: vendorView(await getVendor(tx, vendorId)) };
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const again = await replay();
    if (!again) throw err;
    return again;
  }
}

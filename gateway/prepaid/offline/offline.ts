import { randomUUID } from 'node:crypto';
import { bytesToHex } from '../../../token-engine/index.js';
import { GatewayError, invalidRequest, type Principal, type SqlExecutor } from '../../platform/index.js';
import type { RecoveryPolicy, TariffDefinition } from '../../billing/index.js';
import { LedgerError } from '../ledger/errors.js';
import {
  audit,
  cents,
  lockMeter,
  money,
  issueHead,
  requestHash,
  writeIssue,
  type IssueResult,
} from '../vending/ledger-tx.js';
import type { VendingService } from '../vending/service.js';
import { positionAfter, priceInMonth, type MonthPosition } from '../vending/month-pricing.js';
import { getVendor, moveVendor, ownVendor } from '../vendors/vendors.js';

/** What an agent's device needs, per assigned meter, to mint credit tokens without the network. */
export interface OfflineMeterMaterial {
  meterId: string;
  supply: 'electricity' | 'water' | 'gas';
  ea: '11';
  ken: number;
  baseDate: 1993 | 2014 | 2035;
  /** The last TID the centre used: the device's TIDs must be later. */
  lastTid: number | null;
  /**
   * What the device prices a sale with, as the centre would online: the meter's tariff (blocks,
   * fixed charge, tax) and its month so far (units already bought, fixed charge collected). The
   * device moves the position on with each of its sales; the advance debt is not recovered offline.
   */
  tariff: TariffDefinition;
  social: boolean;
  position: MonthPosition;
  /** The meter's decoder key (hex): goes straight into the device's sealed security module. */
  decoderKey: string;
}

export interface OfflineAllowance {
  allowanceId: string;
  vendorId: string;
  deviceId: string;
  amount: number;
  expiresAt: string;
  meters: OfflineMeterMaterial[];
  replayed?: boolean;
}

export interface AllowanceRequest {
  requestId: string;
  deviceId: string;
  amount: number;
  meterIds: string[];
  /** Hours the allowance may be used offline (default 24). */
  hours?: number;
}

/**
 * Provision a device (`POST /api/vendors/:id/offline-allowances`): the amount is taken from the
 * vendor's float now (the pre-authorised block), and each assigned EA11 meter's decoder key and
 * selling data are handed to the device once, for its sealed store. Idempotent by requestId
 * (keys are not handed out again on a replay).
 */
export async function provisionAllowance(
  service: VendingService,
  principal: Principal,
  vendorId: string,
  req: AllowanceRequest,
): Promise<OfflineAllowance> {
  ownVendor(principal, vendorId);
  if (!(req.amount > 0)) throw invalidRequest({ field: 'body/amount', reason: 'amount must be positive' });
  const now = service.now();
  const prev = await service.db.query<{ id: string; device_id: string; amount: number; expires_at: Date }>(
    'SELECT id, device_id, amount, expires_at FROM offline_allowances WHERE vendor_id = $1 AND request_id = $2',
    [vendorId, req.requestId],
  );
  if (prev.rows[0]) {
    const p = prev.rows[0];
    return {
      allowanceId: p.id,
      vendorId,
      deviceId: p.device_id,
      amount: Number(p.amount),
      expiresAt: new Date(p.expires_at).toISOString(),
      meters: [],
      replayed: true,
    };
  }
  await getVendor(service.db, vendorId);
  return service.db.transaction(async (tx) => {
    const meters: OfflineMeterMaterial[] = [];
    for (const meterId of [...new Set(req.meterIds)]) {
      const m = await lockMeter(tx, meterId, false);
      if (m.token_scheme === 'openpaygo' || m.ea !== '11') {
        throw new LedgerError('MG_ERR_OFFLINE_ALLOWANCE', {
          params: { reason: `meter ${meterId} cannot be sold offline (STS EA11 meters only)` },
        });
      }
      const cipher = await service.minter.cipherFor(tx, m);
      meters.push({
        meterId,
        supply: m.supply,
        ea: '11',
        ken: m.ken,
        baseDate: m.base_date,
        lastTid: m.last_tid,
        tariff: m.definition,
        social: m.social,
        position: {
          month: m.position_month,
          units: Number(m.position_units),
          fixed: Number(m.position_fixed),
        },
        decoderKey: bytesToHex(cipher.decoderKey),
      });
    }
    const id = randomUUID();
    const amount = money(cents(req.amount));
    const expiresAt = new Date(now.getTime() + (req.hours ?? 24) * 3_600_000);
    await tx.query(
      `WITH a AS (
         INSERT INTO offline_allowances (id, vendor_id, device_id, request_id, amount, meters, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id)
       INSERT INTO offline_pricing (allowance_id, meter_id, tariff, social, position)
       SELECT (SELECT id FROM a), x.meter_id, x.tariff, x.social, x.position
         FROM jsonb_to_recordset($9::jsonb) AS x(meter_id text, tariff jsonb, social boolean, position jsonb)`,
      [
        id,
        vendorId,
        req.deviceId,
        req.requestId,
        amount,
        meters.map((m) => m.meterId),
        expiresAt,
        now,
        JSON.stringify(
          meters.map((m) => ({
            meter_id: m.meterId,
            tariff: m.tariff,
            social: m.social,
            position: m.position,
          })),
        ),
      ],
    );
    await moveVendor(tx, {
      vendorId,
      kind: 'offline-allowance',
      amount: -amount,
      cash: 0,
      requestId: `offline:${req.requestId}`,
      actor: principal.id,
      at: now,
    });
    await audit(tx, principal, 'offline.provision', vendorId, {
      allowanceId: id,
      deviceId: req.deviceId,
      amount,
      meters: meters.map((m) => m.meterId),
    });
    return {
      allowanceId: id,
      vendorId,
      deviceId: req.deviceId,
      amount,
      expiresAt: expiresAt.toISOString(),
      meters,
    };
  });
}

/** Offline sales recover no advance debt (the device does not hold the debt): priced with none. */
const NO_RECOVERY: RecoveryPolicy = { mode: 'full' };

/** One sale made offline, as the device reports it. */
export interface OfflineVend {
  /** The device's own sale counter: (device, seq) identifies the sale for ever. */
  seq: number;
  meterId: string;
  amount: number;
  units: number;
  tid: number;
  token: string;
  soldAt: string;
}

export interface SyncOutcome {
  seq: number;
  status:
    'accepted' | 'duplicate' | 'conflict' | 'unknown-meter' | 'tid-used' | 'overspend' | 'price-mismatch';
  vendId?: string;
  /** A price mismatch: the units the centre's pricing gives for the sale's money. */
  expectedUnits?: number;
}

interface AllowanceRow {
  id: string;
  vendor_id: string;
  device_id: string;
  amount: number;
  spent: number;
  meters: string[];
  status: 'open' | 'closed';
}

/**
 * The pricing a device was given for one meter (offline_pricing), moved on by the device's
 * reconciled sales; null for allowances provisioned before offline sales were priced by the blocks.
 */
interface MeterPricing {
  p_tariff: TariffDefinition | null;
  p_social: boolean | null;
  p_position: MonthPosition | null;
}

async function anomaly(
  db: SqlExecutor,
  a: AllowanceRow,
  seq: number,
  kind: 'conflict' | 'unknown-meter' | 'tid-used' | 'overspend' | 'price',
  detail: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `INSERT INTO offline_anomalies (allowance_id, device_id, seq, kind, detail) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (device_id, seq, kind) DO NOTHING`,
    [a.id, a.device_id, seq, kind, JSON.stringify(detail)],
  );
}

/**
 * Reconcile a device's offline sales (`POST /api/offline/sync`), in sequence order, each exactly
 * once: a sale already reconciled is a duplicate (no ledger change); the same sequence with other
 * digits is a conflict; a meter not assigned or a TID the meter already has are anomalies (the
 * token is not booked: the operator investigates); a sale past the allowance is booked (the
 * customer holds a working token) and flagged as overspend, its excess charged to the vendor's
 * float when the float covers it. Safe to resend after a cut network: every batch is idempotent.
 */
export async function syncOffline(
  service: VendingService,
  principal: Principal,
  req: { allowanceId: string; deviceId: string; vends: OfflineVend[] },
): Promise<{ allowanceId: string; outcomes: SyncOutcome[]; spent: number; remaining: number }> {
  const { rows } = await service.db.query<AllowanceRow>('SELECT * FROM offline_allowances WHERE id = $1', [
    req.allowanceId,
  ]);
  const a = rows[0];
  if (
    !a ||
    a.device_id !== req.deviceId ||
    (principal.role === 'vendor' && principal.vendorId !== a.vendor_id)
  ) {
    throw new LedgerError('MG_ERR_OFFLINE_ALLOWANCE', {
      params: { reason: 'no such allowance for this device' },
    });
  }
  const outcomes: SyncOutcome[] = [];
  for (const v of [...req.vends].sort((x, y) => x.seq - y.seq)) {
    if (!a.meters.includes(v.meterId)) {
      await anomaly(service.db, a, v.seq, 'unknown-meter', { meterId: v.meterId, token: v.token });
      outcomes.push({ seq: v.seq, status: 'unknown-meter' });
      continue;
    }
    const hash = requestHash({ op: 'offline', deviceId: a.device_id, seq: v.seq, token: v.token });
    let status: SyncOutcome['status'] = 'accepted';
    let expectedUnits: number | undefined;
    try {
      const r = await service.issue(
        v.meterId,
        `offline:${a.device_id}:${v.seq}`,
        hash,
        async (tx, meter) => {
          const soldAt = new Date(v.soldAt);
          // One round trip: the TID check and the allowance, locked (meter first, then allowance).
          const al = (
            await tx.query<AllowanceRow & MeterPricing & { tid_used: boolean }>(
              `SELECT a.*, EXISTS (SELECT 1 FROM tokens WHERE meter_id = $2 AND base_date = $3 AND tid = $4) AS tid_used,
                      p.tariff AS p_tariff, p.social AS p_social, p.position AS p_position
                 FROM offline_allowances a
                 LEFT JOIN offline_pricing p ON p.allowance_id = a.id AND p.meter_id = $2
                WHERE a.id = $1 FOR UPDATE OF a`,
              [a.id, meter.id, meter.base_date, v.tid],
              { name: 'offline-allowance-lock' },
            )
          ).rows[0]!;
          if (al.tid_used) throw new OfflineRejection('tid-used');
          const amount = money(cents(v.amount));
          const excessCents = Math.max(
            0,
            cents(Number(al.spent)) +
              cents(amount) -
              (al.status === 'open' ? cents(Number(al.amount)) : cents(Number(al.spent))),
          );
          const overspend = excessCents > 0;
          const units = Math.round(v.units * 10) / 10;
          // The centre prices the sale as the device had to: the provisioned tariff and month
          // position, moved on by this device's earlier sales (reconciled in sequence order).
          const b =
            al.p_tariff && al.p_position
              ? priceInMonth(
                  {
                    definition: al.p_tariff,
                    position: al.p_position,
                    debtCents: 0,
                    policy: NO_RECOVERY,
                    social: al.p_social === true,
                  },
                  soldAt,
                  { moneyCents: cents(amount) },
                )
              : undefined;
          const mispriced = b !== undefined && b.energy.tenths !== Math.round(units * 10);
          const pricedPosition =
            b && al.p_position
              ? positionAfter(al.p_position, soldAt, Math.round(units * 10), b.fixedCents)
              : null;
          const result: IssueResult = {
            ...issueHead('purchase', meter, `offline:${a.device_id}:${v.seq}`, a.vendor_id, soldAt),
            receipt: {
              offline: true,
              deviceId: a.device_id,
              seq: v.seq,
              money: amount,
              units,
              overspend,
              ...(b
                ? { tax: money(b.taxCents), fixedCharges: money(b.fixedCents), blocks: b.energy.lines }
                : {}),
              ...(mispriced ? { expectedUnits: b.energy.tenths / 10 } : {}),
            },
            tokens: [
              {
                digits: v.token,
                tid: v.tid,
                tokenClass: 0,
                subclass: { electricity: 0, water: 1, gas: 2 }[meter.supply],
                units,
              },
            ],
            token: v.token,
          };
          const meterPosition = positionAfter(
            { month: meter.position_month, units: meter.position_units, fixed: meter.position_fixed },
            soldAt,
            Math.round(units * 10),
            b?.fixedCents ?? 0,
          );
          await writeIssue(
            tx,
            {
              result,
              requestHash: hash,
              principal,
              money: amount,
              tax: b ? money(b.taxCents) : 0,
              fixed: b ? money(b.fixedCents) : 0,
              energy: b ? money(cents(amount) - b.taxCents - b.fixedCents) : amount,
              units,
            },
            meter,
            {
              lastTid: Math.max(meter.last_tid ?? -1, v.tid),
              position: meterPosition,
              payment: amount,
              auditAction: 'offline.vend',
              auditDetail: {
                vendId: result.vendId,
                deviceId: a.device_id,
                seq: v.seq,
                tid: v.tid,
                overspend,
                ...(mispriced ? { expectedUnits: b.energy.tenths / 10 } : {}),
              },
              lastInTransaction: false,
            },
          );
          if (overspend) {
            const vendor = await tx.query<{ balance: number; credit_limit: number }>(
              'SELECT balance, credit_limit FROM vendors WHERE id = $1 FOR UPDATE',
              [a.vendor_id],
            );
            const covered =
              cents(Number(vendor.rows[0]!.balance)) - excessCents >=
              -cents(Number(vendor.rows[0]!.credit_limit));
            if (covered) {
              await moveVendor(tx, {
                vendorId: a.vendor_id,
                kind: 'offline-overspend',
                amount: money(-excessCents),
                cash: 0,
                vendId: result.vendId,
                actor: principal.id,
                at: service.now(),
              });
            }
            await anomaly(tx, al, v.seq, 'overspend', {
              excess: money(excessCents),
              covered,
              vendId: result.vendId,
            });
          }
          if (mispriced) {
            await anomaly(tx, al, v.seq, 'price', {
              vendId: result.vendId,
              money: amount,
              units,
              expectedUnits: b.energy.tenths / 10,
            });
          }
          // The sale's record and the allowance's spending (and pricing position) in one statement,
          // the transaction's last.
          await tx.query(
            `WITH o AS (INSERT INTO offline_vends (device_id, seq, allowance_id, vend_id, meter_id, digits, amount, sold_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8))
             , p AS (UPDATE offline_pricing SET position = $10::jsonb
                      WHERE allowance_id = $3 AND meter_id = $5 AND $10::jsonb IS NOT NULL)
             UPDATE offline_allowances SET spent = spent + $9 WHERE id = $3`,
            [
              a.device_id,
              v.seq,
              a.id,
              result.vendId,
              meter.id,
              v.token,
              amount,
              soldAt,
              money(cents(amount) - excessCents),
              pricedPosition ? JSON.stringify(pricedPosition) : null,
            ],
            { name: 'offline-record', lastInTransaction: true },
          );
          if (overspend) status = 'overspend';
          else if (mispriced) {
            status = 'price-mismatch';
            expectedUnits = b.energy.tenths / 10;
          }
          return result;
        },
        a.vendor_id,
      );
      outcomes.push({
        seq: v.seq,
        status: r.replayed ? 'duplicate' : status,
        vendId: r.vendId,
        ...(!r.replayed && expectedUnits !== undefined ? { expectedUnits } : {}),
      });
    } catch (err) {
      if (err instanceof OfflineRejection) {
        await anomaly(service.db, a, v.seq, err.kind, { meterId: v.meterId, tid: v.tid, token: v.token });
        outcomes.push({ seq: v.seq, status: err.kind });
      } else if (err instanceof GatewayError && err.code === 'MG_ERR_VEND_REQUEST_ID_REUSED') {
        await anomaly(service.db, a, v.seq, 'conflict', { meterId: v.meterId, token: v.token });
        outcomes.push({ seq: v.seq, status: 'conflict' });
      } else throw err;
    }
  }
  const after = (
    await service.db.query<{ amount: number; spent: number; status: string }>(
      'SELECT amount, spent, status FROM offline_allowances WHERE id = $1',
      [a.id],
    )
  ).rows[0]!;
  const spent = Number(after.spent);
  return {
    allowanceId: a.id,
    outcomes,
    spent,
    remaining: after.status === 'open' ? money(cents(Number(after.amount)) - cents(spent)) : 0,
  };
}

class OfflineRejection extends Error {
  constructor(readonly kind: 'tid-used') {
    super(kind);
  }
}

/** Close an allowance: what the device did not sell goes back to the vendor's float. */
export async function closeAllowance(
  service: VendingService,
  principal: Principal,
  allowanceId: string,
): Promise<Record<string, unknown>> {
  return service.db.transaction(async (tx) => {
    const { rows } = await tx.query<AllowanceRow>(
      'SELECT * FROM offline_allowances WHERE id = $1 FOR UPDATE',
      [allowanceId],
    );
    const a = rows[0];
    if (!a || (principal.role === 'vendor' && principal.vendorId !== a.vendor_id)) {
      throw new LedgerError('MG_ERR_OFFLINE_ALLOWANCE', { params: { reason: 'no such allowance' } });
    }
    if (a.status === 'closed') {
      throw new LedgerError('MG_ERR_OFFLINE_ALLOWANCE', { params: { reason: 'already closed' } });
    }
    const released = money(cents(Number(a.amount)) - cents(Number(a.spent)));
    const now = service.now();
    if (released > 0) {
      await moveVendor(tx, {
        vendorId: a.vendor_id,
        kind: 'offline-release',
        amount: released,
        cash: 0,
        requestId: `offline-release:${a.id}`,
        actor: principal.id,
        at: now,
      });
    }
    await tx.query(`UPDATE offline_allowances SET status = 'closed', closed_at = $2 WHERE id = $1`, [
      a.id,
      now,
    ]);
    await audit(tx, principal, 'offline.close', a.vendor_id, { allowanceId: a.id, released });
    return { allowanceId: a.id, status: 'closed', spent: Number(a.spent), released };
  });
}

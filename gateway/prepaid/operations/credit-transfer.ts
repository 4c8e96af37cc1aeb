import { randomInt } from 'node:crypto';
import { formatTokenDigits } from '../../../token-engine/index.js';
import { GatewayError, invalidRequest, type Principal, type SqlExecutor } from '../../platform/index.js';
import { meterAdvanceAccount } from '../advances/meter-advance.js';
import { LedgerError } from '../ledger/errors.js';
import { checkMeterInput, createMeter, getMeter, type MeterKeysInput } from '../ledger/registry.js';
import {
  findPrevious,
  issueHead,
  lockMeter,
  money,
  cents,
  nextTid,
  requestHash,
  requireSts,
  writeIssue,
  type IssueResult,
} from '../vending/ledger-tx.js';
import type { VendingService } from '../vending/service.js';

/** A prepaid meter exchanged in the field: what moves from the old meter to the new one. */
export interface CreditTransferRequest {
  /** The meter taken out. */
  fromMeterId: string;
  /** The meter put in: registered here, on the old meter's customer, tariff and supply. */
  toMeterId: string;
  /** Credit left on the old meter's display when it was removed (kWh, m³), to 0.1. */
  remainingCredit: number;
  /** The new meter's STS key data (the vending key is sealed into the vault, never returned). */
  keys: MeterKeysInput;
  /** Idempotency key (the work order's): a retry answers the same transfer and token. */
  requestId: string;
}

/** What the technician types on the new meter, and what moved. */
export interface CreditTransfer {
  vendId: string;
  fromMeterId: string;
  toMeterId: string;
  units: number;
  /** Outstanding advance moved with the credit (tariff currency); recovered from the new meter's purchases. */
  advance: number;
  currency: string;
  /** The credit-transfer token's 20 digits (none when no credit was left). */
  token: string | null;
  /** The same digits in groups of four, as printed on receipts. */
  grouped: string | null;
  tid: number | null;
  replayed?: boolean;
}

const tenths = (x: number): number => Math.round(x * 10);

function transferOf(r: IssueResult): CreditTransfer {
  const t = r.tokens[0];
  const receipt = r.receipt as { transferFrom: string; units: number; advanceMoved: number };
  return {
    vendId: r.vendId,
    fromMeterId: receipt.transferFrom,
    toMeterId: r.meterId,
    units: receipt.units,
    advance: receipt.advanceMoved,
    currency: r.currency,
    token: t?.digits ?? null,
    grouped: t ? formatTokenDigits(t.digits) : null,
    tid: t?.tid ?? null,
    ...(r.replayed ? { replayed: true } : {}),
  };
}

/** Errors of the new meter's key data name `body/newMeterKeys/…` (the exchange's field), never a key. */
function checkKeys(req: CreditTransferRequest, customerId: string, tariffId: string, supply: string) {
  try {
    return checkMeterInput({ ...req.keys, id: req.toMeterId, customerId, tariffId, supply });
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'MG_ERR_HTTP_VALIDATION' && Array.isArray(err.details)) {
      throw invalidRequest(
        ...(err.details as Array<{ field: string; reason: string }>).map((d) => ({
          field: d.field.replace(/^body/, 'body/newMeterKeys'),
          reason: d.reason,
        })),
      );
    }
    throw err;
  }
}

/**
 * Everything that can refuse a transfer, read-only, so a caller can check before it stores
 * anything of its own: the old meter is an STS prepaid meter, the new one is not registered and
 * its PAN is free, its key data is whole and valid, and the credit read on the old meter is a
 * number of tenths no larger than all the credit that meter ever received.
 */
export async function checkCreditTransfer(db: SqlExecutor, req: CreditTransferRequest): Promise<void> {
  if (!Number.isFinite(req.remainingCredit) || req.remainingCredit < 0) {
    throw invalidRequest({ field: 'body/remainingCreditKwh', reason: 'a credit of 0 kWh or more' });
  }
  if (Math.abs(tenths(req.remainingCredit) - req.remainingCredit * 10) > 1e-6) {
    throw invalidRequest({ field: 'body/remainingCreditKwh', reason: 'credit is read to 0.1 kWh' });
  }
  const old = await getMeter(db, req.fromMeterId);
  if (!old) throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: req.fromMeterId } });
  requireSts(old);
  const keys = checkKeys(req, old.customer_id, old.tariff_id, old.supply);
  const taken = await db.query<{ id: string; pan: string | null }>(
    'SELECT id, pan FROM meters WHERE id = $1 OR pan = $2',
    [req.toMeterId, keys.pan],
  );
  for (const m of taken.rows) {
    if (m.id === req.toMeterId) {
      throw new LedgerError('MG_ERR_LEDGER_EXISTS', { details: { what: `meter ${req.toMeterId}` } });
    }
    throw new LedgerError('MG_ERR_LEDGER_PAN_TAKEN', { params: { pan: keys.pan } });
  }
  const moved = await db.query('SELECT 1 FROM credit_transfers WHERE from_meter_id = $1', [req.fromMeterId]);
  if (moved.rows.length) {
    throw new LedgerError('MG_ERR_LEDGER_EXISTS', {
      details: { what: `credit transfer from meter ${req.fromMeterId}` },
    });
  }
  // Tokens the meter refused never reached its register; cancelled ones were reversed.
  const { rows } = await db.query<{ units: string | number }>(
    `SELECT COALESCE(sum(units), 0) AS units FROM tokens
      WHERE meter_id = $1 AND token_class = 0 AND status NOT IN ('cancelled', 'rejected')`,
    [req.fromMeterId],
  );
  const issued = Number(rows[0]!.units);
  if (tenths(req.remainingCredit) > tenths(issued)) {
    throw new LedgerError('MG_ERR_TRANSFER_CREDIT', {
      params: { units: req.remainingCredit, meterId: req.fromMeterId, issued },
    });
  }
}

/**
 * Moves a prepaid meter's credit and advance to the meter that replaces it, inside the caller's
 * transaction (a meter exchange records its indexes in the same one): the new meter is registered
 * with its own keys, a 'credit-transfer' vend (no money) opens the remaining credit on it with a
 * credit token minted under its key, the `credit_transfers` row closes the same units on the old
 * meter, and the old meter's advance account moves whole (it ends at zero; the customer's debt is
 * unchanged and later purchases on the new meter recover it). Keyed by `requestId`: a retry
 * answers the first transfer and its token; an old meter's credit moves once, ever.
 */
export async function transferCredit(
  service: VendingService,
  tx: SqlExecutor,
  principal: Principal,
  req: CreditTransferRequest,
): Promise<CreditTransfer> {
  const units = tenths(req.remainingCredit) / 10;
  const hash = requestHash({ op: 'credit-transfer', from: req.fromMeterId, to: req.toMeterId, units });
  const previous = await findPrevious(tx, req.requestId, hash);
  if (previous) return transferOf(previous);
  const old = await lockMeter(tx, req.fromMeterId);
  await checkCreditTransfer(tx, req);
  await createMeter(tx, service.vault, {
    ...req.keys,
    id: req.toMeterId,
    customerId: old.customer_id,
    tariffId: old.tariff_id,
    supply: old.supply,
  });
  const fresh = (await getMeter(tx, req.toMeterId))!;
  const advance = await meterAdvanceAccount(tx, req.fromMeterId);
  const now = service.now();
  const tid = units > 0 ? nextTid(fresh, now) : null;
  const tokens =
    tid === null
      ? []
      : [
          {
            digits: service.minter.credit(
              await service.minter.cipherFor(tx, fresh),
              fresh,
              units,
              tid,
              randomInt(16),
            ),
            tid,
            tokenClass: 0,
            subclass: { electricity: 0, water: 1, gas: 2 }[fresh.supply],
            units,
          },
        ];
  const result: IssueResult = {
    ...issueHead(
      'credit-transfer',
      { id: fresh.id, customer_id: old.customer_id, currency: old.currency },
      req.requestId,
      null,
      now,
    ),
    receipt: {
      transferFrom: req.fromMeterId,
      units,
      advanceMoved: advance,
      debt: money(cents(old.debt)),
    },
    tokens,
    token: tokens[0]?.digits ?? '',
  };
  await writeIssue(tx, { result, requestHash: hash, principal, units }, fresh, {
    lastTid: tid,
    auditAction: 'credit-transfer',
    auditDetail: {
      vendId: result.vendId,
      requestId: req.requestId,
      fromMeterId: req.fromMeterId,
      toMeterId: req.toMeterId,
      tid,
      units,
      advance,
    },
    lastInTransaction: false,
  });
  await tx.query(
    `INSERT INTO credit_transfers (vend_id, customer_id, from_meter_id, to_meter_id, units, advance, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [result.vendId, old.customer_id, req.fromMeterId, req.toMeterId, units, advance, now],
  );
  return transferOf(result);
}

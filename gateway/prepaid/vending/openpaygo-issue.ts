import type { OpenPaygoTokenType } from '../../../token-engine/index.js';
import type { Principal, SqlExecutor } from '../../platform/index.js';
import {
  cents,
  issueHead,
  money,
  newVendId,
  writeIssue,
  type IssueResult,
  type LockedMeter,
} from './ledger-tx.js';
import type { VendingService } from './service.js';

/**
 * Token subclass recorded per OpenPAYGO token type (OpenPAYGO has no STS subclass: these numbers
 * are ours, above STS's 0..15, so a ledger row says which OpenPAYGO command it carried).
 */
export const OPENPAYGO_SUBCLASS: Record<OpenPaygoTokenType, number> = {
  ADD_TIME: 100,
  SET_TIME: 101,
  DISABLE_PAYG: 102,
  COUNTER_SYNC: 103,
};

/** STS token class 0 (credit) for a sold OpenPAYGO token, 2 (management) for a free command. */
const CREDIT_CLASS = 0;
const MANAGEMENT_CLASS = 2;

export interface OpenPaygoIssue {
  type: OpenPaygoTokenType;
  /** ADD_TIME / SET_TIME: whole days (the raw value is days × the device's time divider). */
  days: number | null;
  /** Price charged, integer centimes: > 0 is a sale (payment, float, reversible), 0 a free command. */
  moneyCents: number;
  requestId: string;
  requestHash: string;
  principal: Principal;
  now: Date;
}

/**
 * Issue one OpenPAYGO token in the current issuing transaction (meter locked): mint it from the
 * device's counter, move the counter on, and record it. A priced token is a 'purchase' (payment,
 * vendor float and commission, reversible and reprintable like an STS sale; its units are days); a
 * free one (COUNTER_SYNC, a free unlock, SET_TIME 0 = lock) is a 'management' vend without money.
 */
export async function issueOpenPaygo(
  service: VendingService,
  tx: SqlExecutor,
  meter: LockedMeter,
  req: OpenPaygoIssue,
): Promise<IssueResult> {
  const o = meter.opaygo!;
  const value = req.days === null ? null : req.days * o.timeDivider;
  const { token, newCount } = await service.minter.openPaygo(tx, meter, req.type, value);
  const sale = req.moneyCents > 0;
  const days = req.days ?? 0;
  const vendId = newVendId();
  const result: IssueResult = {
    ...issueHead(
      sale ? 'purchase' : 'management',
      meter,
      req.requestId,
      req.principal.vendorId ?? null,
      req.now,
      vendId,
    ),
    receipt: {
      scheme: 'openpaygo',
      tokenType: req.type,
      money: money(req.moneyCents),
      ...(req.days === null ? {} : { days }),
      pricePerDay: o.pricePerDay,
      units: days,
      debtRecovered: 0,
      count: newCount,
    },
    // OpenPAYGO: the token's count sits where an STS token has its TID (unique per device).
    tokens: [
      {
        digits: token,
        tid: newCount,
        tokenClass: sale ? CREDIT_CLASS : MANAGEMENT_CLASS,
        subclass: OPENPAYGO_SUBCLASS[req.type],
        units: sale ? days : 0,
      },
    ],
    token,
  };
  await tx.query(
    `UPDATE meters SET opaygo = jsonb_set(opaygo, '{count}', to_jsonb($2::integer)) WHERE id = $1`,
    [meter.id, newCount],
  );
  const debit = sale && meter.vendor;
  await writeIssue(
    tx,
    {
      result,
      requestHash: req.requestHash,
      principal: req.principal,
      money: money(req.moneyCents),
      energy: money(req.moneyCents),
      units: sale ? days : 0,
    },
    meter,
    {
      payment: sale ? money(req.moneyCents) : undefined,
      tokenKey: { baseDate: 0, krn: 0 },
      auditAction: sale ? 'vend' : 'payg.command',
      auditDetail: {
        vendId,
        requestId: req.requestId,
        scheme: 'openpaygo',
        tokenType: req.type,
        count: newCount,
        ...(req.days === null ? {} : { days }),
        money: money(req.moneyCents),
      },
      lastInTransaction: !debit,
    },
  );
  if (debit) await service.debitVendor(tx, meter.vendor!, req.principal, vendId, req.moneyCents, req.now);
  return result;
}

/** Centimes of `days` days at the device's price per day (the rule of every OpenPAYGO sale). */
export const daysPriceCents = (meter: LockedMeter, days: number): number =>
  days * cents(meter.opaygo!.pricePerDay);

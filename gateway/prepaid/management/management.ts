import { randomInt } from 'node:crypto';
import { decodeAmountRaw, encodeAmountRaw } from '../../../token-engine/index.js';
import { deriveNewKey, keyChangeTarget, keyChangeTokens, refuseWhilePending } from './key-change-ride.js';
import { GatewayError, invalidRequest, type Principal } from '../../platform/index.js';
import {
  audit,
  newVendId,
  nextTid,
  recordIssue,
  writeIssue,
  requestHash,
  type IssueResult,
} from '../vending/ledger-tx.js';
import type { VendingService } from '../vending/service.js';

export type ManagementAction = 'clear-credit' | 'clear-tamper' | 'set-max-power';

export interface ManagementRequest {
  meterId: string;
  requestId: string;
  action: ManagementAction;
  /** Watts for set-max-power; register selector for clear-credit (default 0xFFFF = all registers). */
  value?: number;
}

const SUBCLASS: Record<ManagementAction, 0 | 1 | 5> = {
  'set-max-power': 0,
  'clear-credit': 1,
  'clear-tamper': 5,
};

/** Class 2 management tokens (IEC 62055-41 §6.2.3): TID-bearing, so they go through the same meter lock. */
export async function issueManagementToken(
  service: VendingService,
  principal: Principal,
  req: ManagementRequest,
): Promise<IssueResult> {
  if (!req.requestId) throw invalidRequest({ field: 'body/requestId', reason: 'requestId is required' });
  const subclass = SUBCLASS[req.action];
  if (subclass === undefined) {
    throw invalidRequest({
      field: 'body/action',
      reason: 'action must be clear-credit, clear-tamper or set-max-power',
    });
  }
  let value = 0;
  if (req.action === 'set-max-power') {
    if (!Number.isInteger(req.value) || req.value! < 0 || req.value! > 18_201_624) {
      throw invalidRequest({
        field: 'body/value',
        reason: 'set-max-power needs value: watts, an integer 0..18201624',
      });
    }
    // The token carries watts as a 14-bit mantissa and a decimal exponent (IEC 62055-41
    // TransferAmount): a limit it cannot carry exactly is refused, never silently rounded
    // (1e6 W would reach the meter as 1,000,024 W).
    const carried = decodeAmountRaw(encodeAmountRaw(req.value!));
    if (carried !== req.value) {
      const below = decodeAmountRaw(encodeAmountRaw(req.value!) - 1);
      throw invalidRequest({
        field: 'body/value',
        reason: `${req.value} W cannot be carried exactly by a token: use ${below} or ${carried}`,
      });
    }
    value = req.value!;
  } else if (req.action === 'clear-credit') {
    value = req.value ?? 0xffff;
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw invalidRequest({
        field: 'body/value',
        reason: 'clear-credit value is a register selector 0..65535 (65535 = all)',
      });
    }
  }
  const hash = requestHash({ op: 'management', meterId: req.meterId, action: req.action, value });
  return service.issue(req.meterId, req.requestId, hash, async (tx, meter) => {
    const now = service.now();
    const tid = nextTid(meter, now);
    const cipher = await service.minter.cipherFor(tx, meter);
    const digits = service.minter.management(cipher, meter, subclass, value, tid, randomInt(16));
    const result: IssueResult = {
      vendId: newVendId(),
      requestId: req.requestId,
      kind: 'management',
      meterId: meter.id,
      customerId: meter.customer_id,
      vendorId: null,
      issuedAt: now.toISOString(),
      currency: meter.currency,
      receipt: { action: req.action, value },
      tokens: [{ digits, tid, tokenClass: 2, subclass, units: 0 }],
      token: digits,
    };
    await writeIssue(tx, { result, requestHash: hash, principal }, meter, {
      lastTid: tid,
      auditAction: `management.${req.action}`,
      auditDetail: { vendId: result.vendId, tid, value },
    });
    return result;
  });
}

export interface KeyChangeRequest {
  requestId: string;
  meterIds: string[];
  /** New key revision (default current + 1). */
  krn?: number;
  /** New key expiry number (default unchanged). */
  ken?: number;
  /** RO=1: the meter clears its TID memory and moves to the next base date (TID rollover migration). */
  rollover?: boolean;
  /** Vault entry of a new vending key (default: the meter's current one). */
  keyRef?: string;
}

export interface KeyChangeOutcome {
  meterId: string;
  ok: boolean;
  result?: IssueResult;
  error?: { code: string; message: string };
}

/**
 * Key change for one or many meters (IEC 62055-41 key change tokens, encrypted under the current
 * key and carrying the new one). Each meter runs in its own transaction under the meter lock, with
 * request id `<requestId>:<meterId>`, so a retried batch replays the meters already done and
 * finishes the rest.
 */
export async function changeKeys(
  service: VendingService,
  principal: Principal,
  req: KeyChangeRequest,
): Promise<KeyChangeOutcome[]> {
  if (!req.requestId) throw invalidRequest({ field: 'body/requestId', reason: 'requestId is required' });
  const out: KeyChangeOutcome[] = [];
  for (const meterId of req.meterIds) {
    const hash = requestHash({
      op: 'key-change',
      meterId,
      krn: req.krn,
      ken: req.ken,
      rollover: !!req.rollover,
      keyRef: req.keyRef,
    });
    try {
      const result = await service.issue(meterId, `${req.requestId}:${meterId}`, hash, async (tx, meter) => {
        refuseWhilePending(meter);
        const target = keyChangeTarget(meter, req);
        const { krn, ken, baseDate, keyRef, ro } = target;
        const current = await service.minter.cipherFor(tx, meter);
        const newDecoderKey = await deriveNewKey(service, tx, meter, target);
        const digits = service.minter.keyChange(current, {
          decoderKey: newDecoderKey,
          ken,
          krn,
          ti: meter.ti,
          kt: meter.kt,
          ro,
          sgc: meter.sgc,
        });
        const now = service.now();
        const result: IssueResult = {
          vendId: newVendId(),
          requestId: `${req.requestId}:${meterId}`,
          kind: 'key-change',
          meterId: meter.id,
          customerId: meter.customer_id,
          vendorId: null,
          issuedAt: now.toISOString(),
          currency: meter.currency,
          receipt: {
            from: { krn: meter.krn, ken: meter.ken, baseDate: meter.base_date },
            to: { krn, ken, baseDate },
            rollover: ro === 1,
          },
          tokens: keyChangeTokens(digits),
          token: digits[0]!,
        };
        await recordIssue(tx, { result, requestHash: hash, principal }, meter);
        await tx.query(
          `UPDATE meters SET krn = $2, ken = $3, base_date = $4, key_ref = $5, last_tid = CASE WHEN $6 THEN NULL ELSE last_tid END WHERE id = $1`,
          [meter.id, krn, ken, baseDate, keyRef, ro === 1],
        );
        await audit(tx, principal, 'management.key-change', meter.id, {
          vendId: result.vendId,
          from: result.receipt.from,
          to: result.receipt.to,
          rollover: ro === 1,
        });
        return result;
      });
      out.push({ meterId, ok: true, result });
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      out.push({ meterId, ok: false, error: { code: err.code, message: err.message } });
    }
  }
  return out;
}

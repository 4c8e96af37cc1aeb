import { randomInt } from 'node:crypto';
import {
  GatewayError,
  invalidRequest,
  type OutboxMessageInput,
  type Principal,
} from '../../platform/index.js';
import {
  isUniqueViolation,
  runMigrations,
  type SqlDatabase,
  type SqlExecutor,
} from '../../platform/index.js';
import type { KeyVault } from '../../platform/index.js';
import { LEDGER_MIGRATIONS } from '../ledger/migrations.js';
import { upsertTariff } from '../ledger/registry.js';
import { EXAMPLE_ELECTRICITY_TARIFF, type PurchaseBreakdown } from '../../billing/index.js';
import type { TokenDelivery } from './delivery.js';
import {
  cents,
  findPrevious,
  replayOf,
  lockMeter,
  money,
  monthKey,
  issueHead,
  newVendId,
  nextTid,
  writeIssue,
  requestHash,
  type IssueResult,
  type IssuedToken,
  type LockedMeter,
  type VendorRow,
} from './ledger-tx.js';
import { MAX_ACTIVATION_VALUE } from '../../../token-engine/index.js';

/** Token subclass recorded for an OpenPAYGO ADD_TIME token (its units are days). */
export const OPENPAYGO_ADD_TIME_SUBCLASS = OPENPAYGO_SUBCLASS.ADD_TIME;
import { assertOpen, commissionOf, moveVendor } from '../vendors/vendors.js';
import { freeBasicDue, prepareFreeBasic } from '../operations/free-basic.js';
import { rideKeyChange } from '../management/key-change-ride.js';
import { TokenMinter } from './minter.js';
import { priceInMonth } from './month-pricing.js';
import { issueOpenPaygo, OPENPAYGO_SUBCLASS } from './openpaygo-issue.js';
import { LedgerError } from '../ledger/errors.js';

export interface VendingServiceOptions {
  db: SqlDatabase;
  vault: KeyVault;
  /** Clock (tests pin it); default `new Date()`. */
  now?: () => Date;
  /** Publishes tokens of connected meters (remote delivery); optional. */
  delivery?: TokenDelivery;
  /** Called after the ledger commit and before the answer is returned (crash tests hook here). */
  afterCommit?: (result: IssueResult) => void | Promise<void>;
  /** Sends an SMS through the message outbox (purchase by SMS replies); see useSms. */
  sms?: (message: OutboxMessageInput) => Promise<unknown>;
  /** Minutes after a purchase during which it may still be reversed (default 60). */
  reversalWindowMinutes?: number;
  /** Seed the example tariff on start (default true). */
  seedExampleTariff?: boolean;
}

export interface VendRequest {
  meterId: string;
  requestId: string;
  /** Money paid (tariff currency)… */
  amount?: number;
  /** …or units wanted (kWh / m³). */
  units?: number;
}

/** Prepaid vending over the ledger, usable without HTTP (the fastify plugin is a thin layer on it). */
export class VendingService {
  readonly db: SqlDatabase;
  readonly vault: KeyVault;
  readonly minter: TokenMinter;
  readonly options: VendingServiceOptions;

  constructor(options: VendingServiceOptions) {
    this.options = options;
    this.db = options.db;
    this.vault = options.vault;
    this.minter = new TokenMinter(options.vault);
  }

  async start(): Promise<this> {
    await runMigrations(this.db, LEDGER_MIGRATIONS);
    if (this.options.seedExampleTariff !== false) {
      const { rows } = await this.db.query('SELECT 1 FROM tariffs WHERE id = $1', [
        EXAMPLE_ELECTRICITY_TARIFF.id,
      ]);
      if (!rows.length) await upsertTariff(this.db, EXAMPLE_ELECTRICITY_TARIFF);
    }
    await this.options.delivery?.start(this);
    return this;
  }

  async stop(): Promise<void> {
    await this.options.delivery?.stop();
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The message outbox's send, when it is built after vending (composition root). */
  useSms(send: (message: OutboxMessageInput) => Promise<unknown>): void {
    this.sms = send;
  }

  private sms: ((message: OutboxMessageInput) => Promise<unknown>) | undefined;

  /** Text through the outbox; without one the reply is only in the HTTP answer. */
  async sendSms(message: OutboxMessageInput): Promise<void> {
    const send = this.sms ?? this.options.sms;
    if (send) await send(message);
  }

  /**
   * Run one issuing transaction for a meter: lock it, replay an earlier identical request, or
   * build and record a new result. A concurrent insert of the same requestId on another meter
   * surfaces as a unique violation; the retry then finds and replays (or refuses) it.
   */
  async issue(
    meterId: string,
    requestId: string,
    hash: string,
    build: (tx: SqlExecutor, meter: LockedMeter) => Promise<IssueResult>,
    /** The requestId namespace: the vendor's id (null for staff, who share one). */
    vendorId: string | null = null,
  ): Promise<IssueResult> {
    const scope = vendorId ?? '';
    let result: IssueResult;
    try {
      result = await this.db.transaction(async (tx) => {
        const meter = await lockMeter(tx, meterId, true, requestId, scope, monthKey(this.now()));
        if (meter.prev_hash !== null) return replayOf(requestId, hash, meter.prev_hash, meter.prev_receipt!);
        return build(tx, meter);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const previous = await findPrevious(this.db, requestId, hash, scope);
      if (!previous) throw err;
      result = previous;
    }
    if (!result.replayed) {
      await this.options.afterCommit?.(result);
      // Remote delivery never holds up the answer (the receipt carries the token anyway): a
      // broker that is down must not stall vending. deliver() logs its own failures.
      void this.options.delivery?.deliver(result).catch(() => {});
    }
    return result;
  }

  private validateAmount(meter: LockedMeter, req: VendRequest): void {
    const def = meter.definition;
    if ((req.amount === undefined) === (req.units === undefined)) {
      throw invalidRequest({ field: 'body/amount', reason: 'give exactly one of amount (money) or units' });
    }
    if (
      req.amount !== undefined &&
      (!Number.isFinite(req.amount) || req.amount < def.minPurchase || req.amount > def.maxPurchase)
    ) {
      throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', {
        details: {
          reason: `amount must be between ${def.minPurchase} and ${def.maxPurchase} ${meter.currency}`,
        },
      });
    }
    if (req.units !== undefined && (!Number.isFinite(req.units) || req.units < 0.1 || req.units > 100_000)) {
      throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', {
        details: { reason: 'units must be between 0.1 and 100000' },
      });
    }
  }

  /** Price a purchase against the meter's current month position, debt and policy. */
  breakdown(meter: LockedMeter, req: Pick<VendRequest, 'amount' | 'units'>, now: Date): PurchaseBreakdown {
    const def = meter.definition;
    const b = priceInMonth(
      {
        definition: def,
        position: {
          month: meter.position_month,
          units: meter.position_units,
          fixed: meter.position_fixed,
        },
        debtCents: cents(meter.debt),
        policy: meter.policy,
        social: meter.social,
      },
      now,
      req.amount !== undefined ? { moneyCents: cents(req.amount) } : { tenths: Math.round(req.units! * 10) },
    );
    if (req.units !== undefined && money(b.moneyCents) > def.maxPurchase) {
      throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', {
        details: {
          reason: `${req.units} units cost ${money(b.moneyCents)}, above the maximum purchase ${def.maxPurchase}`,
        },
      });
    }
    if (b.energy.tenths <= 0) {
      throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', {
        details: {
          reason: 'amount does not cover the fixed charges, tax and debt recovery due: no units left to sell',
        },
      });
    }
    return b;
  }

  static receiptOf(b: PurchaseBreakdown): Record<string, unknown> {
    return {
      money: money(b.moneyCents),
      debtRecovered: money(b.recoveryCents),
      fixedCharges: money(b.fixedCents),
      tax: money(b.taxCents),
      energy: money(b.energyCents),
      rounding: money(b.roundingCents),
      units: b.energy.tenths / 10,
      blocks: b.energy.lines,
    };
  }

  async quote(principal: Principal, req: Omit<VendRequest, 'requestId'>): Promise<Record<string, unknown>> {
    const meter = await lockMeter(this.db, req.meterId, false);
    if (principal.role === 'customer' && principal.customerId !== meter.customer_id) {
      throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: req.meterId } });
    }
    this.validateAmount(meter, { ...req, requestId: '' });
    if (meter.opaygo) {
      const o = meter.opaygo;
      const days =
        req.units !== undefined
          ? Math.floor(req.units)
          : Math.floor(cents(req.amount!) / cents(o.pricePerDay));
      return {
        meterId: meter.id,
        currency: meter.currency,
        scheme: 'openpaygo',
        days,
        units: days,
        money: money(days * cents(o.pricePerDay)),
      };
    }
    const b = this.breakdown(meter, req, this.now());
    return { meterId: meter.id, currency: meter.currency, ...VendingService.receiptOf(b) };
  }

  /**
   * A sale to an OpenPAYGO device: money buys whole days at the device's price per day (units =
   * days), one ADD_TIME token from the device's counter, the counter moved on in the same
   * transaction; float and commission as for any sale.
   */
  private async vendOpenPaygo(
    tx: SqlExecutor,
    meter: LockedMeter,
    principal: Principal,
    req: VendRequest,
    hash: string,
    now: Date,
  ): Promise<IssueResult> {
    const o = meter.opaygo!;
    const priceCents = cents(o.pricePerDay);
    const days =
      req.units !== undefined ? Math.floor(req.units) : Math.floor(cents(req.amount!) / priceCents);
    if (days < 1 || days * o.timeDivider > MAX_ACTIVATION_VALUE) {
      throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', {
        details: {
          reason: `an OpenPAYGO token carries 1 to ${Math.floor(MAX_ACTIVATION_VALUE / o.timeDivider)} days at ${o.pricePerDay} ${meter.currency} a day`,
        },
      });
    }
    return issueOpenPaygo(this, tx, meter, {
      type: 'ADD_TIME',
      days,
      moneyCents: days * priceCents,
      requestId: req.requestId,
      requestHash: hash,
      principal,
      now,
    });
  }

  /** The selling vendor's float pays the sale less its commission (one movement, in this transaction). */
  async debitVendor(
    tx: SqlExecutor,
    vendor: VendorRow,
    principal: Principal,
    vendId: string,
    moneyCents: number,
    now: Date,
  ): Promise<void> {
    const commission = commissionOf(vendor, moneyCents);
    await moveVendor(tx, {
      vendorId: vendor.id,
      kind: 'vend',
      amount: money(-(moneyCents - commission)),
      cash: money(moneyCents),
      commission: money(commission),
      vendId,
      actor: principal.id,
      at: now,
    });
  }

  async vend(principal: Principal, req: VendRequest): Promise<IssueResult> {
    if (!req.requestId) throw invalidRequest({ field: 'body/requestId', reason: 'requestId is required' });
    const hash = requestHash({
      op: 'vend',
      meterId: req.meterId,
      amount: req.amount,
      units: req.units,
      vendor: principal.vendorId,
    });
    return this.issue(
      req.meterId,
      req.requestId,
      hash,
      async (tx, meter) => {
        const now = this.now();
        if (meter.vendor) assertOpen(meter.vendor, now);
        this.validateAmount(meter, req);
        if (meter.token_scheme === 'openpaygo')
          return this.vendOpenPaygo(tx, meter, principal, req, hash, now);
        // A scheduled key change rides on this purchase: its tokens first, the credit under the new key.
        const ride = meter.key_change ? await rideKeyChange(this, tx, meter, meter.key_change) : undefined;
        const keyed = ride?.keyed ?? meter;
        const tid = nextTid(keyed, now);
        const b = this.breakdown(meter, req, now);
        const units = b.energy.tenths / 10;
        const cipher = await this.minter.cipherFor(tx, keyed);
        const digits = this.minter.credit(cipher, keyed, units, tid, randomInt(16));
        const credit: IssuedToken = {
          digits,
          tid,
          tokenClass: 0,
          subclass: { electricity: 0, water: 1, gas: 2 }[meter.supply],
          units,
        };
        const vendId = newVendId();
        const fbe = freeBasicDue(meter)
          ? await prepareFreeBasic(this, tx, principal, meter, keyed, now, tid + 1, `fbe:${vendId}`)
          : undefined;
        const result: IssueResult = {
          ...issueHead('purchase', meter, req.requestId, principal.vendorId ?? null, now, vendId),
          receipt: {
            ...VendingService.receiptOf(b),
            ...(ride ? { keyChange: ride.receipt } : {}),
          },
          tokens: [...(ride?.tokens ?? []), credit],
          token: ride ? ride.tokens[0]!.digits : digits,
          ...(fbe ? { freeBasic: fbe.summary } : {}),
        };
        const sameMonth = meter.position_month === monthKey(now);
        const more = !!(fbe || ride || meter.vendor);
        const lastTid = fbe ? tid + 1 : tid;
        await writeIssue(
          tx,
          {
            result,
            requestHash: hash,
            principal,
            money: money(b.moneyCents),
            tax: money(b.taxCents),
            fixed: money(b.fixedCents),
            recovered: money(b.recoveryCents),
            energy: money(b.energyCents),
            units,
          },
          meter,
          {
            // Under a new base date the TIDs count from it: the meter row keeps the old key's until confirmed.
            lastTid: ride?.rollover ? null : lastTid,
            position: {
              month: monthKey(now),
              units: (sameMonth ? meter.position_units : 0) + units,
              fixed: money((sameMonth ? cents(meter.position_fixed) : 0) + b.fixedCents),
            },
            payment: money(b.moneyCents),
            recovery: b.recoveryCents > 0 ? money(b.recoveryCents) : undefined,
            tokenRows: ride ? [...ride.newRows, credit] : undefined,
            tokenKey: ride ? { baseDate: keyed.base_date, krn: keyed.krn } : undefined,
            auditAction: 'vend',
            auditDetail: {
              vendId: result.vendId,
              requestId: req.requestId,
              tid,
              units,
              money: money(b.moneyCents),
              ...(ride ? { keyChange: ride.receipt } : {}),
            },
            lastInTransaction: !more,
          },
        );
        if (fbe) await fbe.write(!(ride || meter.vendor));
        if (ride) await ride.carried(vendId, lastTid, !meter.vendor);
        if (meter.vendor) await this.debitVendor(tx, meter.vendor, principal, vendId, b.moneyCents, now);
        return result;
      },
      principal.vendorId ?? null,
    );
  }
}

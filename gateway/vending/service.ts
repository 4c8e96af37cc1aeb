import { randomInt } from 'node:crypto';
import { ApiError, type Principal } from '../auth/index.js';
import { isUniqueViolation, runMigrations, type SqlDatabase, type SqlExecutor } from '../db/index.js';
import type { KeyVault } from '../keys/index.js';
import { LedgerErrorCodes } from '../ledger/errors.js';
import { LEDGER_MIGRATIONS } from '../ledger/migrations.js';
import { upsertTariff } from '../ledger/registry.js';
import {
  EXAMPLE_ELECTRICITY_TARIFF,
  priceUnitsPurchase,
  splitPurchase,
  type PurchaseBreakdown,
} from '../tariffs/index.js';
import type { TokenDelivery } from './delivery.js';
import {
  cents,
  findPrevious,
  replayOf,
  lockMeter,
  money,
  monthKey,
  newVendId,
  nextTid,
  writeIssue,
  requestHash,
  type IssueResult,
  type LockedMeter,
} from './ledger-tx.js';
import { TokenMinter } from './minter.js';

export interface VendingServiceOptions {
  db: SqlDatabase;
  vault: KeyVault;
  /** Clock (tests pin it); default `new Date()`. */
  now?: () => Date;
  /** Publishes tokens of connected meters (remote delivery); optional. */
  delivery?: TokenDelivery;
  /** Called after the ledger commit and before the answer is returned (crash tests hook here). */
  afterCommit?: (result: IssueResult) => void | Promise<void>;
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
  ): Promise<IssueResult> {
    let result: IssueResult;
    try {
      result = await this.db.transaction(async (tx) => {
        const meter = await lockMeter(tx, meterId, true, requestId);
        if (meter.prev_hash !== null) return replayOf(requestId, hash, meter.prev_hash, meter.prev_receipt!);
        return build(tx, meter);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const previous = await findPrevious(this.db, requestId, hash);
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
      throw new ApiError(400, LedgerErrorCodes.amountRange, 'give exactly one of amount (money) or units');
    }
    if (
      req.amount !== undefined &&
      (!Number.isFinite(req.amount) || req.amount < def.minPurchase || req.amount > def.maxPurchase)
    ) {
      throw new ApiError(
        422,
        LedgerErrorCodes.amountRange,
        `amount must be between ${def.minPurchase} and ${def.maxPurchase} ${meter.currency}`,
      );
    }
    if (req.units !== undefined && (!Number.isFinite(req.units) || req.units < 0.1 || req.units > 100_000)) {
      throw new ApiError(422, LedgerErrorCodes.amountRange, 'units must be between 0.1 and 100000');
    }
  }

  /** Price a purchase against the meter's current month position, debt and policy. */
  breakdown(meter: LockedMeter, req: Pick<VendRequest, 'amount' | 'units'>, now: Date): PurchaseBreakdown {
    const def = meter.definition;
    const sameMonth = meter.position_month === monthKey(now);
    const positionTenths = sameMonth ? Math.round(meter.position_units * 10) : 0;
    const fixedDueCents = Math.max(
      0,
      cents(def.fixedMonthly) - (sameMonth ? cents(meter.position_fixed) : 0),
    );
    const common = {
      positionTenths,
      fixedDueCents,
      debtCents: cents(meter.debt),
      policy: meter.policy,
      social: meter.social,
    };
    const b =
      req.amount !== undefined
        ? splitPurchase(def, { ...common, moneyCents: cents(req.amount) })
        : priceUnitsPurchase(def, { ...common, tenths: Math.round(req.units! * 10) });
    if (req.units !== undefined && money(b.moneyCents) > def.maxPurchase) {
      throw new ApiError(
        422,
        LedgerErrorCodes.amountRange,
        `${req.units} units cost ${money(b.moneyCents)}, above the maximum purchase ${def.maxPurchase}`,
      );
    }
    if (b.energy.tenths <= 0) {
      throw new ApiError(
        422,
        LedgerErrorCodes.amountRange,
        'amount does not cover the fixed charges, tax and debt recovery due: no units left to sell',
      );
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
      throw new ApiError(404, LedgerErrorCodes.unknownMeter, `unknown meter ${JSON.stringify(req.meterId)}`);
    }
    this.validateAmount(meter, { ...req, requestId: '' });
    const b = this.breakdown(meter, req, this.now());
    return { meterId: meter.id, currency: meter.currency, ...VendingService.receiptOf(b) };
  }

  async vend(principal: Principal, req: VendRequest): Promise<IssueResult> {
    if (!req.requestId) throw new ApiError(400, LedgerErrorCodes.invalidInput, 'requestId is required');
    const hash = requestHash({
      op: 'vend',
      meterId: req.meterId,
      amount: req.amount,
      units: req.units,
      vendor: principal.vendorId,
    });
    return this.issue(req.meterId, req.requestId, hash, async (tx, meter) => {
      this.validateAmount(meter, req);
      const now = this.now();
      const tid = nextTid(meter, now);
      const b = this.breakdown(meter, req, now);
      const units = b.energy.tenths / 10;
      const cipher = await this.minter.cipherFor(tx, meter);
      const digits = this.minter.credit(cipher, meter, units, tid, randomInt(16));
      const result: IssueResult = {
        vendId: newVendId(),
        requestId: req.requestId,
        kind: 'purchase',
        meterId: meter.id,
        customerId: meter.customer_id,
        vendorId: principal.vendorId ?? null,
        issuedAt: now.toISOString(),
        currency: meter.currency,
        receipt: VendingService.receiptOf(b),
        tokens: [
          { digits, tid, tokenClass: 0, subclass: { electricity: 0, water: 1, gas: 2 }[meter.supply], units },
        ],
        token: digits,
      };
      const sameMonth = meter.position_month === monthKey(now);
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
          lastTid: tid,
          position: {
            month: monthKey(now),
            units: (sameMonth ? meter.position_units : 0) + units,
            fixed: money((sameMonth ? cents(meter.position_fixed) : 0) + b.fixedCents),
          },
          payment: money(b.moneyCents),
          recovery: b.recoveryCents > 0 ? money(b.recoveryCents) : undefined,
          auditAction: 'vend',
          auditDetail: {
            vendId: result.vendId,
            requestId: req.requestId,
            tid,
            units,
            money: money(b.moneyCents),
          },
        },
      );
      return result;
    });
  }
}

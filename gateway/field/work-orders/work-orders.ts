import {
  GatewayError,
  invalidRequest,
  isUniqueViolation,
  type Principal,
  type SqlDatabase,
} from '../../platform/index.js';
import {
  checkCreditTransfer,
  transferCredit,
  type CreditTransferRequest,
  type MeterKeysInput,
  type VendingService,
} from '../../prepaid/index.js';
import { knownMeters } from '../known-meters.js';
import { DEFAULT_ROUND_OBIS } from '../rounds/reading-rounds.js';
import type { ExchangeMirror } from './meter-exchange.js';

export const WORK_ORDER_KINDS = [
  'installation',
  'exchange',
  'removal',
  'disconnection',
  'reconnection',
  'inspection',
  're-read',
] as const;
export type WorkOrderKind = (typeof WORK_ORDER_KINDS)[number];
export const WORK_ORDER_STATUSES = ['open', 'assigned', 'in-progress', 'completed', 'cancelled'] as const;
export type WorkOrderStatus = (typeof WORK_ORDER_STATUSES)[number];

/** The workflow: open → assigned → in-progress → completed; cancelled from any state not completed. */
const NEXT: Record<WorkOrderStatus, readonly WorkOrderStatus[]> = {
  open: ['assigned', 'in-progress', 'completed', 'cancelled'],
  assigned: ['in-progress', 'completed', 'cancelled'],
  'in-progress': ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

export interface WorkOrder {
  id: string;
  kind: WorkOrderKind;
  status: WorkOrderStatus;
  meter: string;
  newMeter: string | null;
  assignee: string | null;
  details: Record<string, unknown>;
  createdAt: string;
  completedAt: string | null;
}

export interface ExchangeReport {
  newMeter: string;
  oldFinalIndex: number;
  newInitialIndex: number;
  at: Date;
  /** Prepaid meters: the credit on the old meter's display when it was removed (kWh, to 0.1). */
  remainingCreditKwh?: number;
  /** Prepaid meters: the new meter's STS key data (registered for vending; never stored in the work order). */
  newMeterKeys?: MeterKeysInput;
}

/** Who completes an exchange when no request says (programmatic use): audited as this. */
const FIELD_PRINCIPAL: Principal = { id: 'field-work-orders', role: 'operator' };

const COLUMNS = `id::text AS id, kind, status, meter_id AS meter, new_meter_id AS "newMeter", assignee, details,
  created_at AS "createdAt", completed_at AS "completedAt"`;
type Row = Omit<WorkOrder, 'createdAt' | 'completedAt'> & { createdAt: Date; completedAt: Date | null };
const serialise = (r: Row): WorkOrder => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  completedAt: r.completedAt ? r.completedAt.toISOString() : null,
});

/**
 * Work orders on meters (installation, exchange, removal, disconnection, reconnection, inspection,
 * re-read) with a status workflow and an assignee. Completing an exchange records both indexes,
 * moves the connection point to the new meter and continues the contract's register across it;
 * for a prepaid meter it also registers the new meter's keys and moves the credit left on the old
 * meter (a credit-transfer token on the new one) and its outstanding advance, in the same transaction.
 */
export class WorkOrders {
  private readonly db: SqlDatabase;
  private readonly exchanges: ExchangeMirror;
  private readonly vending: VendingService | undefined;

  constructor(options: { db: SqlDatabase; exchanges: ExchangeMirror; vending?: VendingService }) {
    this.db = options.db;
    this.exchanges = options.exchanges;
    this.vending = options.vending;
  }

  async get(id: string): Promise<WorkOrder | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM field_work_orders WHERE id = $1::bigint`,
      [id],
    );
    return rows[0] && serialise(rows[0]);
  }

  async list(q: { status?: WorkOrderStatus; meter?: string } = {}): Promise<WorkOrder[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM field_work_orders WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR meter_id = $2)
        ORDER BY id DESC LIMIT 500`,
      [q.status ?? null, q.meter ?? null],
    );
    return rows.map(serialise);
  }

  async create(input: {
    kind: WorkOrderKind;
    meter: string;
    assignee?: string;
    exchange?: Partial<ExchangeReport>;
    details?: Record<string, unknown>;
    principal?: Principal;
  }): Promise<WorkOrder> {
    const known = await knownMeters(this.db, [input.meter]);
    const point = await this.db.query('SELECT 1 FROM field_points WHERE meter_id = $1', [input.meter]);
    if (!known.has(input.meter) && !point.rows.length && input.kind !== 'installation') {
      throw new GatewayError('MG_ERR_FIELD_UNKNOWN_METER', { params: { meterId: input.meter } });
    }
    const x = input.exchange ?? {};
    if (input.kind === 'exchange' && x.newMeter) await this.checkNewMeter(x.newMeter, input.meter);
    const reported =
      input.kind === 'exchange' &&
      x.newMeter &&
      x.oldFinalIndex !== undefined &&
      x.newInitialIndex !== undefined &&
      x.at;
    // A bad report refuses the whole request: no work order is left behind.
    if (reported) await this.checkExchange(input.meter, x as ExchangeReport);
    else if (x.remainingCreditKwh !== undefined || x.newMeterKeys) {
      // Credit and keys are never kept on an open work order: they come with its completion.
      throw invalidRequest({
        field: x.newMeterKeys ? 'body/newMeterKeys' : 'body/remainingCreditKwh',
        reason: 'given only with the completed exchange (newMeter, oldFinalIndex, newInitialIndex, at)',
      });
    }
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO field_work_orders (kind, status, meter_id, new_meter_id, assignee, details)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text AS id`,
      [
        input.kind,
        input.assignee ? 'assigned' : 'open',
        input.meter,
        x.newMeter ?? null,
        input.assignee ?? null,
        JSON.stringify(input.details ?? {}),
      ],
    );
    const id = rows[0]!.id;
    // An exchange reported with both indexes and its time is done: recorded at once.
    if (reported) return this.complete(id, x as ExchangeReport, input.principal);
    return (await this.get(id))!;
  }

  /** A meter already installed at another connection point cannot come in by this exchange. */
  private async checkNewMeter(newMeter: string, oldMeter: string): Promise<void> {
    if (newMeter === oldMeter)
      throw new GatewayError('MG_ERR_FIELD_METER_INSTALLED_ELSEWHERE', { params: { meterId: newMeter } });
    const known = await knownMeters(this.db, [newMeter]);
    const elsewhere = await this.db.query(
      `SELECT 1 FROM field_points WHERE meter_id = $1 UNION ALL SELECT 1 FROM field_meter_exchanges WHERE new_meter_id = $1`,
      [newMeter],
    );
    if (elsewhere.rows.length || known.get(newMeter)?.customerId) {
      throw new GatewayError('MG_ERR_FIELD_METER_INSTALLED_ELSEWHERE', { params: { meterId: newMeter } });
    }
  }

  async setStatus(id: string, status: WorkOrderStatus, assignee?: string): Promise<WorkOrder> {
    const wo = await this.get(id);
    if (!wo) throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_NOT_FOUND', { params: { id } });
    if (!NEXT[wo.status].includes(status) || (status === 'completed' && wo.kind === 'exchange')) {
      throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_TRANSITION', {
        params: { id, from: wo.status, to: status },
      });
    }
    await this.db.query(
      `UPDATE field_work_orders SET status = $2, assignee = coalesce($3, assignee),
         completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END WHERE id = $1::bigint`,
      [id, status, assignee ?? null],
    );
    return (await this.get(id))!;
  }

  /**
   * What refuses an exchange report before anything is stored: an old meter's final index below
   * its last known register value, and for a prepaid meter a missing or bad credit or key data, a
   * new meter already registered, or vending off. Answers the register and the credit transfer to make.
   */
  private async checkExchange(
    meter: string,
    report: ExchangeReport,
  ): Promise<{ obis: string; transfer: Omit<CreditTransferRequest, 'requestId'> | undefined }> {
    const known = (await knownMeters(this.db, [meter])).get(meter);
    const obis = known?.obis ?? DEFAULT_ROUND_OBIS;
    // The old meter's final index cannot be below its last known register value.
    if (this.exchanges.contractMeterOf(meter) === meter) {
      const last = await this.db.query<{ v: number }>(
        `SELECT last_value AS v FROM daily_consumption WHERE meter_id = $1 AND obis = $2 AND last_value IS NOT NULL
           AND day <= $3::date ORDER BY day DESC LIMIT 1`,
        [meter, obis, report.at],
      );
      const previous = last.rows[0]?.v;
      if (previous !== undefined && report.oldFinalIndex < previous) {
        throw new GatewayError('MG_ERR_FIELD_EXCHANGE_INDEX', {
          params: { index: report.oldFinalIndex, previous },
        });
      }
    }
    if (known?.kind !== 'prepaid') {
      if (report.remainingCreditKwh !== undefined || report.newMeterKeys) {
        throw invalidRequest({
          field: report.newMeterKeys ? 'body/newMeterKeys' : 'body/remainingCreditKwh',
          reason: `meter ${meter} is not a prepaid meter: no credit or keys to move`,
        });
      }
      return { obis, transfer: undefined };
    }
    if (report.remainingCreditKwh === undefined) {
      throw invalidRequest({
        field: 'body/remainingCreditKwh',
        reason: `required: ${meter} is a prepaid meter (the credit on its display when removed)`,
      });
    }
    if (!report.newMeterKeys) {
      throw invalidRequest({
        field: 'body/newMeterKeys',
        reason: `required: ${meter} is a prepaid meter (the new meter's STS key data, to vend to it)`,
      });
    }
    if (!this.vending) {
      throw new GatewayError('MG_ERR_VEND_KEY_UNAVAILABLE', { params: { meterId: report.newMeter } });
    }
    const transfer = {
      fromMeterId: meter,
      toMeterId: report.newMeter,
      remainingCredit: report.remainingCreditKwh,
      keys: report.newMeterKeys,
    };
    await checkCreditTransfer(this.db, { ...transfer, requestId: '' });
    return { obis, transfer };
  }

  /** A completed exchange answered again for the same report (a retry): the same work order and token. */
  private static sameReport(wo: WorkOrder, report: ExchangeReport): boolean {
    const d = wo.details as {
      oldFinalIndex?: number;
      newInitialIndex?: number;
      at?: string;
      creditTransfer?: { units: number };
    };
    return (
      wo.kind === 'exchange' &&
      wo.status === 'completed' &&
      wo.newMeter === report.newMeter &&
      d.oldFinalIndex === report.oldFinalIndex &&
      d.newInitialIndex === report.newInitialIndex &&
      d.at === report.at.toISOString() &&
      (report.remainingCreditKwh === undefined
        ? d.creditTransfer === undefined
        : Math.round((d.creditTransfer?.units ?? -1) * 10) === Math.round(report.remainingCreditKwh * 10))
    );
  }

  /**
   * Completes an exchange: both indexes recorded, the point moved, the contract register continued,
   * and for a prepaid meter the credit and advance moved to the new meter (one transaction).
   * Completing it again with the same report answers the completed work order (the same token).
   */
  async complete(
    id: string,
    report: ExchangeReport,
    principal: Principal = FIELD_PRINCIPAL,
  ): Promise<WorkOrder> {
    const wo = await this.get(id);
    if (!wo) throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_NOT_FOUND', { params: { id } });
    if (WorkOrders.sameReport(wo, report)) return wo;
    if (wo.kind !== 'exchange' || !NEXT[wo.status].includes('completed')) {
      throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_TRANSITION', {
        params: { id, from: wo.status, to: 'completed' },
      });
    }
    if (report.newMeter !== wo.newMeter) await this.checkNewMeter(report.newMeter, wo.meter);
    const { obis, transfer } = await this.checkExchange(wo.meter, report);
    const { newMeterKeys: _keys, remainingCreditKwh: _credit, ...indexes } = report;
    const exchange = { oldMeter: wo.meter, obis, ...indexes };
    await this.exchanges.close(exchange);
    try {
      await this.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO field_meter_exchanges (work_order_id, old_meter_id, new_meter_id, obis, old_final_index, new_initial_index, exchanged_at)
           VALUES ($1::bigint, $2, $3, $4, $5, $6, $7)`,
          [id, wo.meter, report.newMeter, obis, report.oldFinalIndex, report.newInitialIndex, report.at],
        );
        // The connection point now holds the new meter (same place, network and customer).
        await tx.query(
          `INSERT INTO field_points (meter_id, lat, lon, address, commune, province, region, transformer_id,
             concentrator_id, kind, reading, customer_id)
           SELECT $2, lat, lon, address, commune, province, region, transformer_id, concentrator_id, kind, reading, customer_id
             FROM field_points WHERE meter_id = $1`,
          [wo.meter, report.newMeter],
        );
        await tx.query('DELETE FROM field_points WHERE meter_id = $1', [wo.meter]);
        const moved =
          transfer &&
          (await transferCredit(this.vending!, tx, principal, { ...transfer, requestId: `exchange:${id}` }));
        await tx.query(
          `UPDATE field_work_orders SET status = 'completed', new_meter_id = $2, completed_at = now(),
             details = details || $3::jsonb WHERE id = $1::bigint`,
          [
            id,
            report.newMeter,
            JSON.stringify({
              oldFinalIndex: report.oldFinalIndex,
              newInitialIndex: report.newInitialIndex,
              at: report.at.toISOString(),
              obis,
              // What the technician types on the new meter (never its keys).
              ...(moved ? { creditTransfer: { ...moved, replayed: undefined } } : {}),
            }),
          ],
        );
      });
    } catch (err) {
      // The same exchange completed concurrently: answer it rather than a second one.
      const again = isUniqueViolation(err) ? await this.get(id) : undefined;
      if (again && WorkOrders.sameReport(again, report)) return again;
      throw err;
    }
    this.exchanges.add(exchange);
    return (await this.get(id))!;
  }
}

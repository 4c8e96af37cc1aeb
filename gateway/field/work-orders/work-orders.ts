import {
  GatewayError,
  invalidRequest,
  isUniqueViolation,
  type Principal,
  type SqlDatabase,
  type SqlExecutor,
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
import type { ConnectionRequest, RequestDesk } from './request-link.js';

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

/** The request's status a work order's status implies: taken up → in progress, completed → resolved. */
export function requestStatusFor(status: WorkOrderStatus): 'in-progress' | 'resolved' | undefined {
  if (status === 'assigned' || status === 'in-progress') return 'in-progress';
  if (status === 'completed') return 'resolved';
  return undefined;
}

export interface WorkOrder {
  id: string;
  kind: WorkOrderKind;
  status: WorkOrderStatus;
  /** Null for an installation asked for in the agency until the installer names the meter. */
  meter: string | null;
  newMeter: string | null;
  assignee: string | null;
  /** The agency request this work order answers (DM-…), if any. */
  trackingNumber: string | null;
  customerId: string | null;
  /** Where to go: the request's address and position, or the meter's connection point. */
  address: string | null;
  lat: number | null;
  lon: number | null;
  details: Record<string, unknown>;
  createdAt: string;
  completedAt: string | null;
}

/** Where a work order takes place (WGS 84; both coordinates or neither). */
export interface WorkPlace {
  address?: string;
  lat?: number;
  lon?: number;
}

/** What the installer reports on completing an installation. */
export interface InstallationReport {
  newMeter: string;
  newInitialIndex: number;
  at: Date;
  /** Where the meter was set, when the installer's position is better than the request's. */
  lat?: number;
  lon?: number;
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

// A work order of a meter without a stored place takes its connection point's (joined as p).
const COLUMNS = `w.id::text AS id, w.kind, w.status, w.meter_id AS meter, w.new_meter_id AS "newMeter", w.assignee,
  w.tracking_number AS "trackingNumber", coalesce(w.customer_id, p.customer_id) AS "customerId",
  coalesce(w.address, p.address) AS address, coalesce(w.lat, p.lat) AS lat, coalesce(w.lon, p.lon) AS lon,
  w.details, w.created_at AS "createdAt", w.completed_at AS "completedAt"`;
const FROM = `field_work_orders w LEFT JOIN field_points p ON w.lat IS NULL AND p.meter_id = w.meter_id`;
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
  private requests: RequestDesk | undefined;
  private readonly vending: VendingService | undefined;

  constructor(options: { db: SqlDatabase; exchanges: ExchangeMirror; vending?: VendingService }) {
    this.db = options.db;
    this.exchanges = options.exchanges;
    this.vending = options.vending;
  }

  /** The agency's request desk (the composition root wires it; without one no request is followed). */
  useRequests(desk: RequestDesk): void {
    this.requests = desk;
  }

  async get(id: string, db: SqlExecutor = this.db): Promise<WorkOrder | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM ${FROM} WHERE w.id = $1::bigint`, [id]);
    return rows[0] && serialise(rows[0]);
  }

  async list(
    q: { status?: WorkOrderStatus; meter?: string; trackingNumber?: string } = {},
  ): Promise<WorkOrder[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE ($1::text IS NULL OR w.status = $1) AND ($2::text IS NULL OR w.meter_id = $2)
          AND ($3::text IS NULL OR w.tracking_number = $3)
        ORDER BY w.id DESC LIMIT 500`,
      [q.status ?? null, q.meter ?? null, q.trackingNumber ?? null],
    );
    return rows.map(serialise);
  }

  /**
   * The installation work order of a connection request filed in the agency, inside the filing's
   * transaction (the request and its work order are stored together or not at all). Returns its id.
   */
  async openForRequest(tx: SqlExecutor, request: ConnectionRequest, assignee?: string): Promise<string> {
    try {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO field_work_orders (kind, status, meter_id, assignee, tracking_number, customer_id, address, lat, lon, details)
         VALUES ('installation', $1, NULL, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text AS id`,
        [
          assignee ? 'assigned' : 'open',
          assignee ?? null,
          request.trackingNumber,
          request.customerId,
          request.address,
          request.lat ?? null,
          request.lon ?? null,
          JSON.stringify(request.subject ? { subject: request.subject } : {}),
        ],
      );
      return rows[0]!.id;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new GatewayError('MG_ERR_FIELD_REQUEST_HAS_WORK_ORDER', {
        params: { trackingNumber: request.trackingNumber },
      });
    }
  }

  /**
   * Writes a status change (`write` returns the work order's id) and, in the same transaction, moves
   * the linked request with it; the customer is told once both are committed.
   */
  private async transition(
    trackingNumber: string | null,
    status: WorkOrderStatus,
    write: (tx: SqlExecutor) => Promise<string>,
  ): Promise<WorkOrder> {
    const follow = trackingNumber && this.requests ? requestStatusFor(status) : undefined;
    const done = await this.db.transaction(async (tx) => {
      const id = await write(tx);
      if (!follow) return { id, tell: undefined };
      const note = `work order ${id} ${status}`;
      return { id, tell: await this.requests!.advance(tx, trackingNumber!, follow, note) };
    });
    await done.tell?.();
    return (await this.get(done.id))!;
  }

  async create(input: {
    kind: WorkOrderKind;
    /** Required except for an installation (its meter is named on completion). */
    meter?: string;
    assignee?: string;
    /** An installation answering this agency connection request (its address, position, customer). */
    trackingNumber?: string;
    place?: WorkPlace;
    exchange?: Partial<ExchangeReport>;
    details?: Record<string, unknown>;
    principal?: Principal;
  }): Promise<WorkOrder> {
    if (input.trackingNumber) return this.createForRequest(input.trackingNumber, input);
    if (!input.meter) throw invalidRequest({ field: 'body/meter', reason: 'required (or trackingNumber)' });
    const meter = input.meter;
    const known = await knownMeters(this.db, [meter]);
    const point = await this.db.query('SELECT 1 FROM field_points WHERE meter_id = $1', [meter]);
    if (!known.has(meter) && !point.rows.length && input.kind !== 'installation') {
      throw new GatewayError('MG_ERR_FIELD_UNKNOWN_METER', { params: { meterId: meter } });
    }
    const x = input.exchange ?? {};
    if (input.kind === 'exchange' && x.newMeter) await this.checkNewMeter(x.newMeter, meter);
    const reported =
      input.kind === 'exchange' &&
      x.newMeter &&
      x.oldFinalIndex !== undefined &&
      x.newInitialIndex !== undefined &&
      x.at;
    // A bad report refuses the whole request: no work order is left behind.
    if (reported) await this.checkExchange(meter, x as ExchangeReport);
    else if (x.remainingCreditKwh !== undefined || x.newMeterKeys) {
      // Credit and keys are never kept on an open work order: they come with its completion.
      throw invalidRequest({
        field: x.newMeterKeys ? 'body/newMeterKeys' : 'body/remainingCreditKwh',
        reason: 'given only with the completed exchange (newMeter, oldFinalIndex, newInitialIndex, at)',
      });
    }
    const place = input.place ?? {};
    // The meter's place, when it has one and none was given: the work order keeps it (a later
    // exchange moves the point to another meter id).
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO field_work_orders (kind, status, meter_id, new_meter_id, assignee, details, address, lat, lon, customer_id)
       SELECT $1, $2, $3, $4, $5, $6, coalesce($7, p.address), coalesce($8::float8, p.lat), coalesce($9::float8, p.lon), p.customer_id
         FROM (SELECT 1) one LEFT JOIN field_points p ON p.meter_id = $3
       RETURNING id::text AS id`,
      [
        input.kind,
        input.assignee ? 'assigned' : 'open',
        meter,
        x.newMeter ?? null,
        input.assignee ?? null,
        JSON.stringify(input.details ?? {}),
        place.address ?? null,
        place.lat ?? null,
        place.lon ?? null,
      ],
    );
    const id = rows[0]!.id;
    // An exchange reported with both indexes and its time is done: recorded at once.
    if (reported) return this.complete(id, x as ExchangeReport, input.principal);
    return (await this.get(id))!;
  }

  /** An operator opens (again) the installation of a request, e.g. after cancelling the first one. */
  private async createForRequest(
    trackingNumber: string,
    input: { kind: WorkOrderKind; meter?: string; assignee?: string; place?: WorkPlace },
  ): Promise<WorkOrder> {
    if (input.kind !== 'installation' || input.meter) {
      throw invalidRequest({
        field: 'body/trackingNumber',
        reason: 'a request opens an installation, without a meter (named on completion)',
      });
    }
    const request = await this.requests?.findConnectionRequest(trackingNumber);
    if (!request) throw new GatewayError('MG_ERR_FIELD_UNKNOWN_REQUEST', { params: { trackingNumber } });
    const place = input.place ?? {};
    const at =
      place.lat !== undefined && place.lon !== undefined
        ? { lat: place.lat, lon: place.lon }
        : { lat: request.lat, lon: request.lon };
    const merged: ConnectionRequest = { ...request, ...at, address: place.address ?? request.address };
    return this.transition(trackingNumber, input.assignee ? 'assigned' : 'open', (tx) =>
      this.openForRequest(tx, merged, input.assignee),
    );
  }

  /** A meter already installed at another connection point cannot come in by this exchange. */
  private async checkNewMeter(newMeter: string, oldMeter: string | null): Promise<void> {
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
    // An exchange completes with its indexes, an installation without a meter with the meter's id.
    const needsReport = wo.kind === 'exchange' || (wo.kind === 'installation' && !wo.meter);
    if (!NEXT[wo.status].includes(status) || (status === 'completed' && needsReport)) {
      throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_TRANSITION', {
        params: { id, from: wo.status, to: status },
      });
    }
    return this.transition(wo.trackingNumber, status, async (tx) => {
      await tx.query(
        `UPDATE field_work_orders SET status = $2, assignee = coalesce($3, assignee),
           completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END WHERE id = $1::bigint`,
        [id, status, assignee ?? null],
      );
      return id;
    });
  }

  /**
   * Completes an installation with the installed meter's id and initial index: the meter gets its
   * connection point at the work order's place (or where the installer stood), for the request's
   * customer, and the request is resolved.
   */
  async completeInstallation(id: string, report: InstallationReport): Promise<WorkOrder> {
    const wo = await this.get(id);
    if (!wo) throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_NOT_FOUND', { params: { id } });
    if (wo.kind !== 'installation' || !NEXT[wo.status].includes('completed')) {
      throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_TRANSITION', {
        params: { id, from: wo.status, to: 'completed' },
      });
    }
    if (report.newMeter !== wo.meter) await this.checkNewMeter(report.newMeter, null);
    const lat = report.lat ?? wo.lat;
    const lon = report.lon ?? wo.lon;
    return this.transition(wo.trackingNumber, 'completed', async (tx) => {
      if (lat !== null && lon !== null) {
        await tx.query(
          `INSERT INTO field_points (meter_id, lat, lon, address, customer_id) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (meter_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon,
               address = coalesce(excluded.address, field_points.address),
               customer_id = coalesce(excluded.customer_id, field_points.customer_id), updated_at = now()`,
          [report.newMeter, lat, lon, wo.address, wo.customerId],
        );
      }
      await tx.query(
        `UPDATE field_work_orders SET status = 'completed', meter_id = $2, new_meter_id = $2, completed_at = now(),
             lat = $3, lon = $4, details = details || $5::jsonb WHERE id = $1::bigint`,
        [
          id,
          report.newMeter,
          lat,
          lon,
          JSON.stringify({ newInitialIndex: report.newInitialIndex, at: report.at.toISOString() }),
        ],
      );
      return id;
    });
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
    if (wo.kind !== 'exchange' || !wo.meter || !NEXT[wo.status].includes('completed')) {
      throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_TRANSITION', {
        params: { id, from: wo.status, to: 'completed' },
      });
    }
    const oldMeter = wo.meter;
    if (report.newMeter !== wo.newMeter) await this.checkNewMeter(report.newMeter, oldMeter);
    const { obis, transfer } = await this.checkExchange(oldMeter, report);
    const { newMeterKeys: _keys, remainingCreditKwh: _credit, ...indexes } = report;
    const exchange = { oldMeter, obis, ...indexes };
    await this.exchanges.close(exchange);
    try {
      await this.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO field_meter_exchanges (work_order_id, old_meter_id, new_meter_id, obis, old_final_index, new_initial_index, exchanged_at)
           VALUES ($1::bigint, $2, $3, $4, $5, $6, $7)`,
          [id, oldMeter, report.newMeter, obis, report.oldFinalIndex, report.newInitialIndex, report.at],
        );
        // The connection point now holds the new meter (same place, network and customer).
        await tx.query(
          `INSERT INTO field_points (meter_id, lat, lon, address, commune, province, region, transformer_id,
             concentrator_id, kind, reading, customer_id)
           SELECT $2, lat, lon, address, commune, province, region, transformer_id, concentrator_id, kind, reading, customer_id
             FROM field_points WHERE meter_id = $1`,
          [oldMeter, report.newMeter],
        );
        await tx.query('DELETE FROM field_points WHERE meter_id = $1', [oldMeter]);
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

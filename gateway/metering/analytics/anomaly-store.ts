import type { SqlDatabase } from '../../platform/index.js';
import { AnalyticsError } from './errors.js';
import type { AnomalyKind, AnomalyStatus, DetectedAnomaly } from './types.js';

export interface Anomaly {
  id: number;
  meterId: string;
  obis: string;
  kind: AnomalyKind;
  status: AnomalyStatus;
  firstDay: string;
  lastDay: string;
  detections: number;
  evidence: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  note: string | null;
}

export interface AnomalyQuery {
  status?: AnomalyStatus;
  meterId?: string;
  /** Several meters at once (a customer's). */
  meterIds?: string[];
  kind?: AnomalyKind;
  limit?: number;
  /** Keyset paging: only ids below this. */
  beforeId?: number;
}

export interface RecordResult {
  opened: number;
  updated: number;
  /** Detections of an episode already resolved on or after that day (not reopened). */
  suppressed: number;
  /** Ids of the newly opened anomalies (notifications go out for these only). */
  openedIds: number[];
}

/** Where anomalies live: interface + SQL reference implementation + conformance suite. */
export interface AnomalyStore {
  record(detections: readonly DetectedAnomaly[]): Promise<RecordResult>;
  get(id: number): Promise<Anomaly | undefined>;
  list(query?: AnomalyQuery): Promise<Anomaly[]>;
  /** open → acknowledged → resolved (open → resolved too); anything else is MG_ERR_ANALYTICS_BAD_TRANSITION. */
  transition(
    id: number,
    change: { status: 'acknowledged' | 'resolved'; by: string; note?: string },
  ): Promise<Anomaly>;
}

const COLUMNS = `id, meter_id AS "meterId", obis, kind, status, to_char(first_day, 'YYYY-MM-DD') AS "firstDay",
  to_char(last_day, 'YYYY-MM-DD') AS "lastDay", detections, evidence, created_at AS "createdAt",
  updated_at AS "updatedAt", acknowledged_at AS "acknowledgedAt", acknowledged_by AS "acknowledgedBy",
  resolved_at AS "resolvedAt", resolved_by AS "resolvedBy", note`;

// One statement for a whole batch: skip what a resolution already covers, insert new episodes, and
// fold the rest into the active episode (ON CONFLICT on the partial unique index).
const RECORD_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[]) AS t(meter_id, obis, kind, day, evidence)
), fresh AS (
  SELECT i.* FROM input i WHERE NOT EXISTS (
    SELECT 1 FROM analytics_anomalies a WHERE a.meter_id = i.meter_id AND a.obis = i.obis AND a.kind = i.kind
      AND a.status = 'resolved' AND a.last_day >= i.day)
)
INSERT INTO analytics_anomalies (meter_id, obis, kind, first_day, last_day, evidence)
SELECT meter_id, obis, kind, day, day, evidence::jsonb FROM fresh
ON CONFLICT (meter_id, obis, kind) WHERE status <> 'resolved' DO UPDATE SET
  last_day = greatest(analytics_anomalies.last_day, excluded.last_day),
  detections = analytics_anomalies.detections + 1,
  evidence = excluded.evidence,
  updated_at = now()
RETURNING id, (xmax = 0) AS inserted`;

export class SqlAnomalyStore implements AnomalyStore {
  private readonly db: SqlDatabase;

  constructor(options: { db: SqlDatabase }) {
    this.db = options.db;
  }

  async record(detections: readonly DetectedAnomaly[]): Promise<RecordResult> {
    if (detections.length === 0) return { opened: 0, updated: 0, suppressed: 0, openedIds: [] };
    // One statement may not touch a key twice: keep the latest detection per key.
    const byKey = new Map<string, DetectedAnomaly>();
    for (const d of detections) {
      const k = `${d.meterId}\u0000${d.obis}\u0000${d.kind}`;
      const prev = byKey.get(k);
      if (!prev || prev.day <= d.day) byKey.set(k, d);
    }
    const list = [...byKey.values()];
    const { rows } = await this.db.query<{ id: number; inserted: boolean }>(RECORD_SQL, [
      list.map((d) => d.meterId),
      list.map((d) => d.obis),
      list.map((d) => d.kind),
      list.map((d) => d.day),
      list.map((d) => JSON.stringify(d.evidence)),
    ]);
    const openedIds = rows.filter((r) => r.inserted).map((r) => r.id);
    return {
      opened: openedIds.length,
      updated: rows.length - openedIds.length,
      suppressed: list.length - rows.length,
      openedIds,
    };
  }

  async get(id: number): Promise<Anomaly | undefined> {
    const { rows } = await this.db.query<Anomaly>(
      `SELECT ${COLUMNS} FROM analytics_anomalies WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async list(query: AnomalyQuery = {}): Promise<Anomaly[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.status) add('status = ?', query.status);
    if (query.meterId) add('meter_id = ?', query.meterId);
    if (query.meterIds) add('meter_id = ANY(?::text[])', query.meterIds);
    if (query.kind) add('kind = ?', query.kind);
    if (query.beforeId) add('id < ?', query.beforeId);
    params.push(Math.min(Math.max(query.limit ?? 100, 1), 1000));
    const { rows } = await this.db.query<Anomaly>(
      `SELECT ${COLUMNS} FROM analytics_anomalies ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows;
  }

  async transition(
    id: number,
    change: { status: 'acknowledged' | 'resolved'; by: string; note?: string },
  ): Promise<Anomaly> {
    const from = change.status === 'acknowledged' ? ['open'] : ['open', 'acknowledged'];
    const stamp = change.status === 'acknowledged' ? 'acknowledged' : 'resolved';
    const { rows } = await this.db.query<{ id: number }>(
      `UPDATE analytics_anomalies SET status = $2, ${stamp}_at = now(), ${stamp}_by = $3,
         note = coalesce($4, note), updated_at = now()
       WHERE id = $1 AND status = ANY($5::text[]) RETURNING id`,
      [id, change.status, change.by, change.note ?? null, from],
    );
    if (rows.length === 0) {
      const current = await this.get(id);
      if (!current) throw new AnalyticsError('MG_ERR_ANALYTICS_NOT_FOUND', `id ${id}`);
      throw new AnalyticsError('MG_ERR_ANALYTICS_BAD_TRANSITION', `${current.status} → ${change.status}`);
    }
    return (await this.get(id))!;
  }
}

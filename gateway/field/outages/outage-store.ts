import type { SqlExecutor } from '../../platform/index.js';

export interface Outage {
  id: string;
  status: 'open' | 'closed';
  startedAt: string;
  endedAt: string | null;
  transformer: string;
  feeder: string | null;
  meters: string[];
  customers: string[];
}

const COLUMNS = `id::text AS id, status, started_at AS "startedAt", ended_at AS "endedAt",
  transformer_id AS transformer, feeder_id AS feeder, meters, customers`;

type Row = Omit<Outage, 'startedAt' | 'endedAt'> & { startedAt: Date; endedAt: Date | null };

const serialise = (r: Row): Outage => ({
  ...r,
  startedAt: r.startedAt.toISOString(),
  endedAt: r.endedAt ? r.endedAt.toISOString() : null,
});

/** Outage incidents: at most one open per transformer (a partial unique index says so). */
export class OutageStore {
  private readonly db: SqlExecutor;

  constructor(options: { db: SqlExecutor }) {
    this.db = options.db;
  }

  async list(q: { status?: 'open' | 'closed'; limit?: number } = {}): Promise<Outage[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM field_outages WHERE ($1::text IS NULL OR status = $1)
        ORDER BY started_at DESC, id DESC LIMIT $2`,
      [q.status ?? null, q.limit ?? 500],
    );
    return rows.map(serialise);
  }

  async get(id: string): Promise<Outage | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM field_outages WHERE id = $1::bigint`, [
      id,
    ]);
    return rows[0] && serialise(rows[0]);
  }

  /**
   * The agency's claims of category `outage` linked to an incident: on one of its meters (or from one
   * of its customers) and filed while it was open (up to an hour after it closed). None where the
   * agency does not run.
   */
  async claims(o: Outage): Promise<string[]> {
    const agency = await this.db.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'agency_cases'`,
    );
    if (!agency.rows.length) return [];
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT tracking_number AS id FROM agency_cases
        WHERE kind = 'claim' AND category = 'outage' AND (meter = ANY($1) OR customer_id = ANY($2))
          AND created_at >= $3 AND created_at < coalesce($4::timestamptz + interval '1 hour', 'infinity')
        ORDER BY created_at`,
      [o.meters, o.customers, o.startedAt, o.endedAt],
    );
    return rows.map((r) => r.id);
  }

  /** Opens one unless that transformer already has an open outage (then undefined). */
  async open(o: {
    transformer: string;
    feeder: string | null;
    startedAt: Date;
    meters: string[];
    customers: string[];
    /** How it was detected: meters fell `silent`, or at least one pushed its `last-gasp`. */
    cause?: 'silent' | 'last-gasp';
  }): Promise<Outage | undefined> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO field_outages (status, started_at, transformer_id, feeder_id, meters, customers, cause)
       VALUES ('open', $1, $2, $3, $4, $5, $6)
       ON CONFLICT (transformer_id) WHERE status = 'open' DO NOTHING RETURNING ${COLUMNS}`,
      [o.startedAt, o.transformer, o.feeder, o.meters, o.customers, o.cause ?? 'silent'],
    );
    return rows[0] && serialise(rows[0]);
  }

  /** More meters behind the transformer fell silent while it was open: they join the incident. */
  async extend(
    id: string,
    meters: readonly string[],
    customers: readonly string[],
  ): Promise<Outage | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE field_outages SET
         meters = (SELECT array_agg(DISTINCT m ORDER BY m) FROM unnest(meters || $2::text[]) m),
         customers = (SELECT coalesce(array_agg(DISTINCT c ORDER BY c), '{}') FROM unnest(customers || $3::text[]) c)
        WHERE id = $1::bigint AND status = 'open' RETURNING ${COLUMNS}`,
      [id, meters, customers],
    );
    return rows[0] && serialise(rows[0]);
  }

  async close(id: string, endedAt: Date): Promise<Outage | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE field_outages SET status = 'closed', ended_at = greatest($2::timestamptz, started_at)
        WHERE id = $1::bigint AND status = 'open' RETURNING ${COLUMNS}`,
      [id, endedAt],
    );
    return rows[0] && serialise(rows[0]);
  }

  /** Outages overlapping [from, to), for the reliability indices. */
  async overlapping(from: Date, to: Date): Promise<Outage[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM field_outages WHERE started_at < $2 AND coalesce(ended_at, 'infinity') > $1
        ORDER BY started_at`,
      [from, to],
    );
    return rows.map(serialise);
  }
}

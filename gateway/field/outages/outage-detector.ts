import type { SqlDatabase } from '../../platform/index.js';
import { isOutage, type OutageRule } from './outage-rule.js';
import type { Outage, OutageStore } from './outage-store.js';

interface TransformerRow {
  transformer: string;
  feeder: string | null;
  total: number;
  silent: string[] | null;
  customers: string[] | null;
  lastSeen: Date | null;
  gasped: boolean | null;
}

/**
 * Each meter behind a transformer that ever reported (a reading or a power event): its last sign of
 * life is its newest reading or power-up; it is without power when its last gasp is not older than
 * that (at once, no silence to wait for) or when it has been silent for `silentSeconds` ($1). Its
 * power went at the last gasp, else at its last sign of life.
 */
const METERS_BY_TRANSFORMER = `
WITH m AS (
  SELECT p.meter_id, p.transformer_id, p.customer_id, greatest(lr.ts, pw.up_at) AS alive, pw.down_at
    FROM field_points p
    LEFT JOIN meter_last_reading lr ON lr.meter_id = p.meter_id
    LEFT JOIN field_meter_power pw ON pw.meter_id = p.meter_id
   WHERE lr.meter_id IS NOT NULL OR pw.meter_id IS NOT NULL
), s AS (
  SELECT m.*, coalesce(down_at >= coalesce(alive, '-infinity'), false) AS gasped FROM m
), d AS (
  SELECT s.*, gasped OR alive < $1 AS dark, CASE WHEN gasped THEN down_at ELSE alive END AS since FROM s
)
SELECT d.transformer_id AS transformer, t.feeder_id AS feeder, count(*)::int AS total,
       array_agg(d.meter_id ORDER BY d.meter_id) FILTER (WHERE d.dark) AS silent,
       array_agg(DISTINCT d.customer_id) FILTER (WHERE d.dark AND d.customer_id IS NOT NULL) AS customers,
       max(d.since) FILTER (WHERE d.dark) AS "lastSeen",
       bool_or(d.gasped) AS gasped
  FROM d JOIN field_transformers t ON t.id = d.transformer_id
 GROUP BY d.transformer_id, t.feeder_id`;

/** The first sign of life after $2 among the meters $1: a power-up or a reading. */
const FIRST_BACK = `
SELECT min(least(CASE WHEN pw.up_at > $2 THEN pw.up_at END, CASE WHEN lr.ts > $2 THEN lr.ts END)) AS at
  FROM unnest($1::text[]) AS x(meter_id)
  LEFT JOIN meter_last_reading lr ON lr.meter_id = x.meter_id
  LEFT JOIN field_meter_power pw ON pw.meter_id = x.meter_id`;

export interface OutageDetectorOptions {
  db: SqlDatabase;
  store: OutageStore;
  rule: OutageRule;
  onOpened?: (o: Outage) => Promise<void>;
  onClosed?: (o: Outage) => Promise<void>;
  onError?: (err: unknown) => void;
  now?: () => Date;
}

/**
 * Looks every `checkEverySeconds`, and at once after a power event (`powerEvent`), at the meters
 * behind each transformer (those that ever reported): when enough of them are without power (the
 * rule: silent, or their last gasp received), one outage opens for the transformer, starting when
 * the last of them lost power (its last gasp, else its newest reading); when the rule no longer holds
 * (readings or power-up events resumed), it closes at the earliest of them. Meters of the
 * transformer that lose power while it is open join it (their customers get the start notice).
 */
export class OutageDetector {
  private readonly o: OutageDetectorOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** A check was asked for while one ran: run another when it ends. */
  private again = false;
  private stopped = false;

  constructor(options: OutageDetectorOptions) {
    this.o = options;
  }

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.o.rule.checkEverySeconds * 1000);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * A meter's power-down ("last gasp") or power-up event, recorded (the newest of each kind wins, so
   * a late duplicate changes nothing); a started detector checks at once instead of waiting for the
   * next tick or for `silentSeconds` of silence.
   */
  async powerEvent(meter: string, kind: 'down' | 'up', at: Date): Promise<void> {
    const column = kind === 'down' ? 'down_at' : 'up_at';
    await this.o.db.query(
      `INSERT INTO field_meter_power AS p (meter_id, ${column}) VALUES ($1, $2)
       ON CONFLICT (meter_id) DO UPDATE SET ${column} = greatest(p.${column}, excluded.${column}), updated_at = now()`,
      [meter, at],
    );
    if (this.timer && !this.stopped) this.tick();
  }

  private tick(): void {
    // One check at a time: a slow database never stacks checks up; one asked for meanwhile follows.
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.check()
      .then(() => undefined)
      .catch((err: unknown) => this.o.onError?.(err))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.tick();
        }
      });
  }

  /** One pass; returns what it opened and closed (tests call it directly). */
  async check(): Promise<{ opened: Outage[]; closed: Outage[] }> {
    const now = this.o.now?.() ?? new Date();
    const before = new Date(now.getTime() - this.o.rule.silentSeconds * 1000);
    const { rows } = await this.o.db.query<TransformerRow>(METERS_BY_TRANSFORMER, [before]);
    const open = new Map((await this.o.store.list({ status: 'open' })).map((o) => [o.transformer, o]));
    const opened: Outage[] = [];
    const closed: Outage[] = [];
    for (const r of rows) {
      const silent = r.silent ?? [];
      const out = isOutage(this.o.rule, { total: r.total, silent: silent.length });
      const current = open.get(r.transformer);
      if (out && !current) {
        const o = await this.o.store.open({
          transformer: r.transformer,
          feeder: r.feeder,
          startedAt: r.lastSeen ?? now,
          meters: silent,
          customers: r.customers ?? [],
          cause: r.gasped ? 'last-gasp' : 'silent',
        });
        if (o) {
          opened.push(o);
          await this.o.onOpened?.(o);
        }
      } else if (out && current && silent.some((m) => !current.meters.includes(m))) {
        const known = new Set(current.customers);
        const o = await this.o.store.extend(current.id, silent, r.customers ?? []);
        const added = (r.customers ?? []).filter((c) => !known.has(c));
        if (o && added.length) await this.o.onOpened?.({ ...o, customers: added });
      } else if (!out && current) {
        const back = await this.o.db.query<{ at: Date | null }>(FIRST_BACK, [
          current.meters,
          current.startedAt,
        ]);
        const o = await this.o.store.close(current.id, back.rows[0]?.at ?? now);
        if (o) {
          closed.push(o);
          await this.o.onClosed?.(o);
        }
      }
    }
    return { opened, closed };
  }
}

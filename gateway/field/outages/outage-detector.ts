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
}

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
 * Looks every `checkEverySeconds` at the meters behind each transformer (those that ever reported):
 * when enough of them are silent (the rule), one outage opens for the transformer, starting at the
 * newest last reading among them (the moment the last one fell silent); when the rule no longer
 * holds (readings resumed), it closes at the earliest reading that came back. Meters of the
 * transformer that fall silent while it is open join it (their customers get the start notice).
 */
export class OutageDetector {
  private readonly o: OutageDetectorOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(options: OutageDetectorOptions) {
    this.o = options;
  }

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.o.rule.checkEverySeconds * 1000);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    // One check at a time: a slow database never stacks checks up.
    this.running ??= this.check()
      .then(() => undefined)
      .catch((err: unknown) => this.o.onError?.(err))
      .finally(() => (this.running = undefined));
  }

  /** One pass; returns what it opened and closed (tests call it directly). */
  async check(): Promise<{ opened: Outage[]; closed: Outage[] }> {
    const now = this.o.now?.() ?? new Date();
    const before = new Date(now.getTime() - this.o.rule.silentSeconds * 1000);
    const { rows } = await this.o.db.query<TransformerRow>(
      `SELECT p.transformer_id AS transformer, t.feeder_id AS feeder, count(*)::int AS total,
              array_agg(p.meter_id ORDER BY p.meter_id) FILTER (WHERE lr.ts < $1) AS silent,
              array_agg(DISTINCT p.customer_id) FILTER (WHERE lr.ts < $1 AND p.customer_id IS NOT NULL) AS customers,
              max(lr.ts) FILTER (WHERE lr.ts < $1) AS "lastSeen"
         FROM field_points p
         JOIN field_transformers t ON t.id = p.transformer_id
         JOIN meter_last_reading lr ON lr.meter_id = p.meter_id
        GROUP BY p.transformer_id, t.feeder_id`,
      [before],
    );
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
        const back = await this.o.db.query<{ at: Date | null }>(
          'SELECT min(ts) AS at FROM meter_last_reading WHERE meter_id = ANY($1) AND ts > $2',
          [current.meters, current.startedAt],
        );
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

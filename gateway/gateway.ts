import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { TopicScheme } from '../protocol/index.js';
import type { AuthPluginOptions } from './auth/index.js';
import { MqttBus } from './bus/index.js';
import { openDatabase, runMigrations, type SqlDatabase } from './db/index.js';
import type { HealthReport } from './health/index.js';
import { DeadLetterStore, IngestMetrics, IngestPipeline } from './ingest/index.js';
import { LiveHub } from './live/index.js';
import {
  InfluxReadingStore,
  LastReadingStore,
  READINGS_MIGRATIONS,
  SqlReadingStore,
  type ReadingStore,
} from './readings/index.js';
import { ROLLUP_MIGRATIONS, RollupEngine, SqlRollupStore } from './rollups/index.js';
import { buildGatewayApp, type GatewayFeature } from './server.js';

export type StoreKind = 'pglite' | 'postgres' | 'influx';

export interface GatewayOptions {
  /** PostgreSQL URL of the gateway database; without it the embedded PGlite in `dataDir` is used. */
  databaseUrl?: string;
  /** Directory of embedded data (PGlite); omit for in-memory (tests). */
  dataDir?: string;
  /** Reading store: the gateway's SQL database (pglite/postgres) or InfluxDB. Default: by databaseUrl. */
  store?: StoreKind;
  influx?: { url: string; database: string; username?: string; password?: string; rawRetention?: string };
  mqtt: {
    url: string;
    prefix?: string;
    username?: string;
    password?: string;
    /** Stable client id: the broker keeps unacknowledged readings for it across restarts. */
    clientId?: string;
  };
  /** HTTP listener; `false` runs ingest only. */
  http?: { host?: string; port?: number } | false;
  ingest?: { batchSize?: number; batchIntervalMs?: number; maxBuffered?: number; deadLetterRows?: number };
  /** Raw readings older than this are pruned from SQL stores (InfluxDB: retention policy). Default 400. */
  rawRetentionDays?: number;
  auth?: Omit<AuthPluginOptions, 'db'> | false;
  plugins?: GatewayFeature[];
  /**
   * Feature plugins that need the running gateway (its database, bus, live hub): called once the
   * core is up and before HTTP listens. This is where the CLI wires vending, analytics and exports.
   */
  features?: (gateway: Gateway) => Promise<GatewayFeature[]>;
  metricsRegistry?: Registry;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  version?: string;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * The gateway process: database and migrations, reading store, MQTT bus, ingest pipeline, HTTP API.
 * `start()` brings them up in dependency order, `stop()` takes them down in reverse (the ingest
 * pipeline first writes what it holds; whatever it cannot write stays unacknowledged at the broker).
 */
export class Gateway {
  private readonly options: GatewayOptions;
  db: SqlDatabase | undefined;
  store: ReadingStore | undefined;
  bus: MqttBus | undefined;
  ingest: IngestPipeline | undefined;
  app: FastifyInstance | undefined;
  readonly live = new LiveHub();
  readonly metrics: IngestMetrics;
  rollups: SqlRollupStore | undefined;
  lastReadings: LastReadingStore | undefined;
  deadLetters: DeadLetterStore | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(options: GatewayOptions) {
    this.options = options;
    this.metrics = new IngestMetrics({ registry: options.metricsRegistry });
  }

  /** The HTTP address once started (`http://host:port`). */
  get url(): string | undefined {
    const addr = this.app?.server.address();
    return addr && typeof addr === 'object' ? `http://${addr.address}:${addr.port}` : undefined;
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  private storeKind(): StoreKind {
    const kind = this.options.store ?? (this.options.databaseUrl ? 'postgres' : 'pglite');
    if (kind === 'postgres' && !this.options.databaseUrl) {
      throw new Error('store postgres needs database.url (DATABASE_URL)');
    }
    if (kind === 'pglite' && this.options.databaseUrl) {
      throw new Error('store pglite is the embedded database: remove database.url or use --store postgres');
    }
    if (kind === 'influx' && !this.options.influx?.url)
      throw new Error('store influx needs influx.url (INFLUX_URL)');
    return kind;
  }

  async start(): Promise<void> {
    const kind = this.storeKind();
    const o = this.options;
    const db = await openDatabase({
      url: o.databaseUrl,
      dataDir: o.dataDir,
      log: (level, message) => this.log(level, message),
    });
    this.db = db;
    await runMigrations(db, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS]);
    const store: ReadingStore =
      kind === 'influx' ? new InfluxReadingStore(o.influx!) : new SqlReadingStore({ db });
    await store.start();
    this.store = store;
    this.rollups = new SqlRollupStore({ db });
    this.lastReadings = new LastReadingStore({ db });
    this.deadLetters = new DeadLetterStore({ db, maxRows: o.ingest?.deadLetterRows });

    const bus = new MqttBus({
      url: o.mqtt.url,
      clientId: o.mqtt.clientId ?? `metergate-gateway-${hostname()}`,
      username: o.mqtt.username,
      password: o.mqtt.password,
      receiveMaximum: o.ingest?.maxBuffered ?? 20_000,
      log: (level, message) => this.log(level, message),
    });
    await bus.start();
    this.bus = bus;
    this.log('info', `MQTT ${o.mqtt.url} connected (protocol level ${bus.protocolVersion})`);
    this.ingest = new IngestPipeline({
      bus,
      topics: new TopicScheme(o.mqtt.prefix),
      store,
      lastReadings: this.lastReadings,
      rollups: new RollupEngine({ db, source: store }),
      deadLetters: this.deadLetters,
      metrics: this.metrics,
      batchSize: o.ingest?.batchSize,
      batchIntervalMs: o.ingest?.batchIntervalMs,
      maxBuffered: o.ingest?.maxBuffered,
      onStored: (readings) => this.live.readings(readings),
      onEvent: (event) => this.live.event(event),
      log: (level, message) => this.log(level, message),
    });
    await this.ingest.start();

    if (kind !== 'influx') {
      const days = o.rawRetentionDays ?? 400;
      const prune = () =>
        store
          .prune(new Date(Date.now() - days * 86_400_000))
          .catch((err) => this.log('warn', `prune: ${err.message}`));
      this.pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
      this.pruneTimer.unref();
    }

    if (o.http !== false) {
      this.app = await buildGatewayApp({
        db,
        readings: store,
        lastReadings: this.lastReadings,
        rollups: this.rollups,
        live: this.live,
        deadLetters: this.deadLetters,
        health: () => this.health(),
        auth: o.auth,
        plugins: [...(o.plugins ?? []), ...((await o.features?.(this)) ?? [])],
        version: o.version,
      });
      await this.app.listen({ host: o.http?.host ?? '127.0.0.1', port: o.http?.port ?? 8080 });
      this.log('info', `HTTP listening on ${this.url}`);
    }
  }

  async health(): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {};
    try {
      await this.db?.query('SELECT 1');
      checks.database = { ok: true, detail: this.db?.kind };
    } catch (err) {
      checks.database = { ok: false, detail: (err as Error).message.slice(0, 200) };
    }
    checks.mqtt = {
      ok: this.bus?.connected ?? false,
      detail: `protocol level ${this.bus?.protocolVersion ?? '-'}`,
    };
    const stats = this.ingest?.snapshot();
    // A store that keeps failing shows up as a growing buffer and storeErrors.
    checks.store = {
      ok: (stats?.buffered ?? 0) < (this.options.ingest?.maxBuffered ?? 20_000),
      detail: this.store?.kind,
    };
    const ok = Object.values(checks).every((c) => c.ok);
    return {
      status: ok ? 'ok' : 'degraded',
      checks,
      ingest: stats && {
        received: stats.received,
        stored: stats.stored,
        deadLettered: stats.deadLettered,
        storeErrors: stats.storeErrors,
        buffered: stats.buffered,
      },
    };
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.app?.close();
    await this.ingest?.stop();
    await this.bus?.stop();
    await this.store?.stop();
    await this.db?.close();
    this.app = undefined;
    this.ingest = undefined;
    this.bus = undefined;
    this.db = undefined;
  }
}

import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { TopicScheme } from '../protocol/index.js';
import { composeDomains, type DomainOptions } from './compose-domains.js';
import { Lifecycle, type LogFn } from './lifecycle.js';
import { DeadLetterStore, IngestMetrics, IngestPipeline } from './metering/ingest/index.js';
import { LiveHub } from './metering/live/index.js';
import {
  InfluxReadingStore,
  LastReadingStore,
  READINGS_MIGRATIONS,
  SqlReadingStore,
  type ReadingStore,
} from './metering/readings/index.js';
import { ROLLUP_MIGRATIONS, RollupEngine, SqlRollupStore } from './metering/rollups/index.js';
import type { AuthPluginOptions } from './platform/auth/index.js';
import { MqttBus } from './platform/bus/index.js';
import { openDatabase, runMigrations, type PgliteTuning, type SqlDatabase } from './platform/db/index.js';
import type { HealthReport } from './platform/health/index.js';
import type { JobRunner } from './platform/jobs/index.js';
import type { VendingService } from './prepaid/vending/index.js';
import type { FieldFeature } from './field/index.js';
import { buildGatewayApp, type GatewayFeature } from './server.js';
import { ServiceErrors } from './service-errors.js';

export type StoreKind = 'pglite' | 'postgres' | 'influx';

/**
 * The reading store when none is named — decided here and nowhere else: InfluxDB when it is
 * configured, else the gateway's SQL database (PostgreSQL with a URL, the embedded PGlite without).
 */
export function defaultStoreKind(o: { databaseUrl?: string; influxUrl?: string }): StoreKind {
  return o.influxUrl ? 'influx' : o.databaseUrl ? 'postgres' : 'pglite';
}

/**
 * The gateway's default MQTT client id. The broker binds client ids to identities (broker/README.md:
 * a client id is the username itself or starts with `<username>:`), so the id carries the username
 * and the host: two gateway processes on two hosts never take each other's session.
 */
export function defaultClientId(username: string | undefined): string {
  return username ? `${username}:gateway-${hostname()}` : `metergate-gateway-${hostname()}`;
}

export interface GatewayOptions {
  /** PostgreSQL URL of the gateway database; without it the embedded PGlite in `dataDir` is used. */
  databaseUrl?: string;
  /** Directory of embedded data (PGlite); omit for in-memory (tests). */
  dataDir?: string;
  /** Sizing of the embedded database (the demo keeps it small); default PGlite's. */
  pglite?: PgliteTuning;
  /** Reading store; default `defaultStoreKind`. */
  store?: StoreKind;
  influx?: { url: string; database: string; username?: string; password?: string; rawRetention?: string };
  mqtt: {
    url: string;
    prefix?: string;
    username?: string;
    password?: string;
    /** Stable client id: the broker keeps unacknowledged readings for it across restarts. Default `defaultClientId`. */
    clientId?: string;
  };
  /** HTTP listener; `false` runs ingest only. */
  /** `imageOrigins`: other origins the dashboards may load images from (the map's tile server). */
  http?: { host?: string; port?: number; imageOrigins?: string[] } | false;
  ingest?: { batchSize?: number; batchIntervalMs?: number; maxBuffered?: number; deadLetterRows?: number };
  /** Raw readings older than this are pruned from SQL stores (InfluxDB: retention policy). Default 400. */
  rawRetentionDays?: number;
  auth?: Omit<AuthPluginOptions, 'db'> | false;
  /**
   * HTTP plugins from outside the gateway (the dashboards), registered after the gateway's own. As a
   * function it receives the started core services (read-only) — for tests and embedders that build
   * their own feature set on the same database.
   */
  plugins?: GatewayFeature[] | ((core: CoreServices) => Promise<GatewayFeature[]>);
  /**
   * The business domains (vending, jobs, analytics, notifications, exports, /metrics). Omitted: the
   * core only — ingest, stores, rollups, the query API and the live stream (tests, benchmarks).
   */
  domains?: DomainOptions;
  metricsRegistry?: Registry;
  log?: LogFn;
  version?: string;
}

const PRUNE_EVERY_MS = 3_600_000;

/** The core services handed to a `plugins` function. */
export interface CoreServices {
  readonly db: SqlDatabase;
  readonly store: ReadingStore;
  readonly bus: MqttBus;
  readonly rollups: SqlRollupStore;
  readonly lastReadings: LastReadingStore;
  readonly live: LiveHub;
}

/** What a running gateway holds; private to `Gateway`, read through its getters. */
interface Running {
  db: SqlDatabase;
  store: ReadingStore;
  bus: MqttBus;
  rollups: SqlRollupStore;
  lastReadings: LastReadingStore;
  deadLetters: DeadLetterStore;
  ingest: IngestPipeline;
  app: FastifyInstance | undefined;
  vending: VendingService | undefined;
  field: FieldFeature | undefined;
  jobs: JobRunner | undefined;
}

/**
 * The composition root of the gateway: `start()` constructs each service once from the validated
 * options, hands each its dependencies explicitly and starts them in dependency order through one
 * lifecycle list; `stop()` takes them down in reverse (the ingest pipeline writes what it holds
 * before the bus goes; whatever it cannot write stays unacknowledged at the broker). `metergate
 * gateway`, `metergate demo` and the tests all build their gateway here.
 */
export class Gateway {
  private readonly options: GatewayOptions;
  private readonly registry: Registry;
  private readonly life: Lifecycle;
  private readonly errors: ServiceErrors;
  private readonly liveHub = new LiveHub();
  private readonly ingestMetrics: IngestMetrics;
  private running: Partial<Running> = {};

  constructor(options: GatewayOptions) {
    this.options = options;
    this.registry = options.metricsRegistry ?? new Registry();
    this.life = new Lifecycle({ log: (l, m) => this.log(l, m), registry: this.registry });
    this.errors = new ServiceErrors({ registry: this.registry, log: (l, m) => this.log(l, m) });
    this.ingestMetrics = new IngestMetrics({ registry: this.registry });
  }

  get db(): SqlDatabase | undefined {
    return this.running.db;
  }
  get store(): ReadingStore | undefined {
    return this.running.store;
  }
  get bus(): MqttBus | undefined {
    return this.running.bus;
  }
  get rollups(): SqlRollupStore | undefined {
    return this.running.rollups;
  }
  get lastReadings(): LastReadingStore | undefined {
    return this.running.lastReadings;
  }
  get deadLetters(): DeadLetterStore | undefined {
    return this.running.deadLetters;
  }
  get ingest(): IngestPipeline | undefined {
    return this.running.ingest;
  }
  get app(): FastifyInstance | undefined {
    return this.running.app;
  }
  /** Vending, when the domains run with a security module. */
  get vending(): VendingService | undefined {
    return this.running.vending;
  }
  /** The network in the field (locations, map, outages), when the domains run. */
  get field(): FieldFeature | undefined {
    return this.running.field;
  }
  /** The job runner, when the domains run. */
  get jobs(): JobRunner | undefined {
    return this.running.jobs;
  }
  get live(): LiveHub {
    return this.liveHub;
  }
  get metrics(): IngestMetrics {
    return this.ingestMetrics;
  }
  /** The running services, in start order (they stop in reverse). */
  get services(): string[] {
    return this.life.names;
  }

  /** The HTTP address once started (`http://host:port`). */
  get url(): string | undefined {
    const addr = this.running.app?.server.address();
    return addr && typeof addr === 'object' ? `http://${addr.address}:${addr.port}` : undefined;
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  private storeKind(): StoreKind {
    const o = this.options;
    const kind = o.store ?? defaultStoreKind({ databaseUrl: o.databaseUrl, influxUrl: o.influx?.url });
    if (kind === 'postgres' && !o.databaseUrl) {
      throw new Error('store postgres needs database.url (DATABASE_URL)');
    }
    if (kind === 'pglite' && o.databaseUrl) {
      throw new Error('store pglite is the embedded database: remove database.url or use --store postgres');
    }
    if (kind === 'influx' && !o.influx?.url) throw new Error('store influx needs influx.url (INFLUX_URL)');
    return kind;
  }

  async start(): Promise<void> {
    const kind = this.storeKind();
    const o = this.options;
    const life = this.life;
    const log = (level: 'info' | 'warn' | 'error', message: string) => this.log(level, message);
    const r = this.running;
    const topics = new TopicScheme(o.mqtt.prefix);

    const db = await life.run(
      'database',
      async () => {
        const opened = await openDatabase({ url: o.databaseUrl, dataDir: o.dataDir, pglite: o.pglite, log });
        await runMigrations(opened, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS]);
        return opened;
      },
      (d) => d.close(),
    );
    const store = await life.run(
      'reading-store',
      async () => {
        const s: ReadingStore =
          kind === 'influx' ? new InfluxReadingStore(o.influx!) : new SqlReadingStore({ db });
        await s.start();
        return s;
      },
      (s) => s.stop(),
    );
    // Stateless SQL views over the database: nothing of their own to stop.
    const rollups = new SqlRollupStore({ db });
    const lastReadings = new LastReadingStore({ db });
    const deadLetters = new DeadLetterStore({ db, maxRows: o.ingest?.deadLetterRows });
    Object.assign(r, { db, store, rollups, lastReadings, deadLetters });

    r.bus = await life.run(
      'mqtt-bus',
      async () => {
        const bus = new MqttBus({
          url: o.mqtt.url,
          clientId: o.mqtt.clientId ?? defaultClientId(o.mqtt.username),
          username: o.mqtt.username,
          password: o.mqtt.password,
          receiveMaximum: o.ingest?.maxBuffered ?? 20_000,
          log,
        });
        await bus.start();
        log('info', `MQTT ${o.mqtt.url} connected (protocol level ${bus.protocolVersion})`);
        return bus;
      },
      (bus) => bus.stop(),
    );
    const bus = r.bus;

    const domains = o.domains
      ? await composeDomains({
          life,
          db,
          bus,
          rollups,
          readings: store,
          live: this.liveHub,
          topics,
          registry: this.registry,
          errors: this.errors,
          log,
          options: o.domains,
        })
      : undefined;
    r.vending = domains?.vending;
    r.field = domains?.field;

    r.ingest = await life.run(
      'ingest',
      async () => {
        const ingest = new IngestPipeline({
          bus,
          topics,
          store,
          lastReadings,
          rollups: new RollupEngine({ db, source: store }),
          deadLetters,
          metrics: this.ingestMetrics,
          batchSize: o.ingest?.batchSize,
          batchIntervalMs: o.ingest?.batchIntervalMs,
          maxBuffered: o.ingest?.maxBuffered,
          onStored: (readings) => this.liveHub.readings(readings),
          onEvent: (event) => this.liveHub.event(event),
          log,
        });
        await ingest.start();
        return ingest;
      },
      // Writes what it holds before the bus below it stops.
      (ingest) => ingest.stop(),
    );

    if (kind !== 'influx') {
      const days = o.rawRetentionDays ?? 400;
      await life.run(
        'raw-prune',
        () => {
          const prune = () =>
            store
              .prune(new Date(Date.now() - days * 86_400_000))
              .catch((err: unknown) => this.errors.record('raw-prune', err));
          const timer = setInterval(prune, PRUNE_EVERY_MS);
          timer.unref();
          return timer;
        },
        (timer) => clearInterval(timer),
      );
    }

    const extra =
      typeof o.plugins === 'function'
        ? await o.plugins({ db, store, bus, rollups, lastReadings, live: this.liveHub })
        : (o.plugins ?? []);
    const http = o.http;
    if (http !== false) {
      r.app = await life.run(
        'http',
        async () => {
          const app = await buildGatewayApp({
            db,
            readings: store,
            lastReadings,
            rollups,
            live: this.liveHub,
            deadLetters,
            health: () => this.health(),
            auth: o.auth,
            plugins: [...(domains?.features ?? []), ...extra],
            version: o.version,
            ...(http?.imageOrigins ? { imageOrigins: http.imageOrigins } : {}),
          });
          await app.listen({ host: http?.host ?? '127.0.0.1', port: http?.port ?? 8080 });
          return app;
        },
        // Closes the listener and ends the live streams; requests in flight finish first.
        (app) => app.close(),
      );
      log('info', `HTTP listening on ${this.url}`);
    }

    if (domains) {
      // Last in, first out: no job runs against a service that has already stopped.
      r.jobs = await life.run(
        'jobs',
        async () => {
          await domains.jobs.start();
          await domains.schedule();
          return domains.jobs;
        },
        (jobs) => jobs.stop(),
      );
    }
  }

  async health(): Promise<HealthReport> {
    const { db, bus, ingest, store } = this.running;
    const checks: HealthReport['checks'] = {};
    try {
      await db?.query('SELECT 1');
      checks.database = { ok: true, detail: db?.kind };
    } catch (err) {
      checks.database = { ok: false, detail: (err as Error).message.slice(0, 200) };
    }
    checks.mqtt = { ok: bus?.connected ?? false, detail: `protocol level ${bus?.protocolVersion ?? '-'}` };
    const stats = ingest?.snapshot();
    // A store that keeps failing shows up as a growing buffer and storeErrors.
    checks.store = {
      ok: (stats?.buffered ?? 0) < (this.options.ingest?.maxBuffered ?? 20_000),
      detail: store?.kind,
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

  /** Stops every started service in reverse start order; safe to call twice or after a failed start. */
  async stop(): Promise<void> {
    await this.life.stop();
    this.running = {};
  }
}

import type { TopicScheme } from '../../protocol/index.js';
import type { LiveHub, ReadingStore } from '../metering/index.js';
import type { MessageBus, MessageOutbox, SqlDatabase } from '../platform/index.js';
import type { VendingService } from '../prepaid/index.js';
import { runMigrations } from '../platform/index.js';
import './errors.js';
import { locationsPlugin } from './locations/routes.js';
import { EdgeLocations } from './locations/edge-locations.js';
import { LocationStore } from './locations/location-store.js';
import { mapPlugin } from './map/routes.js';
import { FIELD_MIGRATIONS } from './migrations.js';
import { sendOutageNotices } from './outages/outage-notices.js';
import { OutageDetector } from './outages/outage-detector.js';
import { DEFAULT_OUTAGE_RULE, type OutageRule } from './outages/outage-rule.js';
import { OutageStore } from './outages/outage-store.js';
import { subscribePowerEvents } from './outages/power-events.js';
import { outagesPlugin, type PowerCut } from './outages/routes.js';
import { ReadingRounds } from './rounds/reading-rounds.js';
import { roundsPlugin } from './rounds/routes.js';
import { ExchangeMirror } from './work-orders/meter-exchange.js';
import { workOrdersPlugin } from './work-orders/routes.js';
import { WorkOrders } from './work-orders/work-orders.js';

export interface FieldFeatureOptions {
  db: SqlDatabase;
  /** Where outage notices go (the message outbox); without one nobody is told. */
  outbox?: Pick<MessageOutbox, 'send'>;
  /** Where indexes read on rounds are stored (the gateway's reading store). */
  readings?: ReadingStore;
  /** Live readings: those of exchanged-in meters continue their contract's register. */
  live?: LiveHub;
  /** Prepaid vending: an exchanged prepaid meter's credit and advance move to the new meter. */
  vending?: VendingService;
  rule?: Partial<OutageRule>;
  /** The map's tile server, if the utility runs one. */
  map?: { tileUrl?: string; tileAttribution?: string };
  /** false: no periodic detection (tests call `detector.check()`). */
  detect?: boolean;
  /**
   * The meters' messages: power events (last gasp, power-up) for the outage detector, and the
   * locations edges publish with their meters' states. Without it, silence alone detects outages.
   */
  bus?: { bus: Pick<MessageBus, 'subscribe'>; topics: TopicScheme };
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  onError?: (site: string, err: unknown) => void;
}

export interface FieldPlugin {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  plugin: any;
  options: Record<string, unknown>;
}

/**
 * The network in the field: connection points and the network above them, the map's data, outage
 * detection with notices at start and restoration, reliability indices, and (demo) fault injection.
 */
export class FieldFeature {
  readonly locations: LocationStore;
  readonly outages: OutageStore;
  readonly detector: OutageDetector;
  readonly rounds: ReadingRounds;
  readonly exchanges: ExchangeMirror;
  readonly workOrders: WorkOrders;
  readonly rule: OutageRule;
  private readonly options: FieldFeatureOptions;
  private powerCut: PowerCut | undefined;

  constructor(options: FieldFeatureOptions) {
    this.options = options;
    const { db } = options;
    this.rule = { ...DEFAULT_OUTAGE_RULE, ...options.rule };
    this.locations = new LocationStore({ db });
    this.outages = new OutageStore({ db });
    this.exchanges = new ExchangeMirror({
      db,
      ...(options.readings ? { readings: options.readings } : {}),
      ...(options.live ? { live: options.live } : {}),
      onError: (err) => options.onError?.('meter-exchange', err),
    });
    this.workOrders = new WorkOrders({
      db,
      exchanges: this.exchanges,
      ...(options.vending ? { vending: options.vending } : {}),
    });
    this.rounds = new ReadingRounds({ db, ...(options.readings ? { readings: options.readings } : {}) });
    const notify =
      (phase: 'start' | 'restore') =>
      async (o: {
        id: string;
        transformer: string;
        customers: string[];
        startedAt: string;
        endedAt: string | null;
      }) => {
        this.options.log?.(
          'warn',
          `outage ${o.id} ${phase === 'start' ? 'opened' : 'closed'} on transformer ${o.transformer}`,
        );
        if (!options.outbox) return;
        try {
          await sendOutageNotices(
            { db, outbox: options.outbox },
            o,
            phase,
            new Date(phase === 'start' ? o.startedAt : o.endedAt!),
          );
        } catch (err) {
          options.onError?.('outage-notices', err);
        }
      };
    this.detector = new OutageDetector({
      db,
      store: this.outages,
      rule: this.rule,
      onOpened: notify('start'),
      onClosed: notify('restore'),
      onError: (err) => options.onError?.('outage-detector', err),
    });
  }

  async start(): Promise<this> {
    await runMigrations(this.options.db, FIELD_MIGRATIONS);
    await this.exchanges.start();
    if (this.options.detect !== false) this.detector.start();
    const m = this.options.bus;
    if (m) {
      const onError = (site: string) => (err: unknown) => this.options.onError?.(site, err);
      await subscribePowerEvents({ ...m, detector: this.detector, onError: onError('power-events') });
      await new EdgeLocations({
        locations: this.locations,
        ...(this.options.log ? { log: this.options.log } : {}),
        onError: onError('edge-locations'),
      }).subscribe(m.bus, m.topics);
    }
    return this;
  }

  async stop(): Promise<void> {
    await this.detector.stop();
    await this.exchanges.stop();
  }

  /** The demo hands its simulated fleet's power switch over (POST /api/simulator/faults). */
  useSimulator(powerCut: PowerCut): void {
    this.powerCut = powerCut;
  }

  get plugins(): FieldPlugin[] {
    const db = this.options.db;
    return [
      { plugin: locationsPlugin, options: { locations: this.locations } },
      { plugin: mapPlugin, options: { db, silentSeconds: this.rule.silentSeconds, ...this.options.map } },
      { plugin: outagesPlugin, options: { db, outages: this.outages, powerCut: () => this.powerCut } },
      { plugin: roundsPlugin, options: { rounds: this.rounds, db } },
      { plugin: workOrdersPlugin, options: { workOrders: this.workOrders } },
    ];
  }
}

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Ingest metrics for /metrics (the lead mounts `registry`). Counters are exact, never sampled. */
export class IngestMetrics {
  readonly registry: Registry;
  readonly received: Counter;
  readonly stored: Counter;
  readonly deadLetters: Counter<'code'>;
  readonly storeErrors: Counter;
  readonly batchSeconds: Histogram;
  readonly buffered: Gauge;
  readonly unacknowledged: Gauge;

  constructor(options: { registry?: Registry } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.received = new Counter({
      name: 'metergate_ingest_received_total',
      help: 'reading messages received from MQTT',
      registers,
    });
    this.stored = new Counter({
      name: 'metergate_ingest_stored_total',
      help: 'readings durably stored (ingest rate: rate() of this)',
      registers,
    });
    this.deadLetters = new Counter({
      name: 'metergate_ingest_dead_letters_total',
      help: 'messages rejected into the dead-letter table, by error code',
      labelNames: ['code'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'metergate_ingest_store_errors_total',
      help: 'failed store writes (retried)',
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'metergate_ingest_batch_seconds',
      help: 'time to store one batch (readings, live state, rollups)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.buffered = new Gauge({
      name: 'metergate_ingest_buffered',
      help: 'readings received and waiting for the store',
      registers,
    });
    this.unacknowledged = new Gauge({
      name: 'metergate_ingest_unacknowledged',
      help: 'messages not yet acknowledged to the broker',
      registers,
    });
  }
}

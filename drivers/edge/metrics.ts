import { Counter, Gauge, Registry } from 'prom-client';

/**
 * Edge counters, in a registry of their own (never prom-client's global one, so several edges or a
 * gateway can live in one process). `snapshot()` is the plain-object view the demo and tests read.
 */
export class EdgeMetrics {
  readonly registry = new Registry();
  readonly pollsOk: Counter;
  readonly pollsFailed: Counter;
  readonly readingsPublished: Counter;
  readonly outboxDropped: Counter;
  readonly outboxDepth: Gauge;
  private readonly plain = {
    pollsOk: 0,
    pollsFailed: 0,
    readingsPublished: 0,
    outboxDropped: 0,
    outboxDepth: 0,
  };

  constructor() {
    const registers = [this.registry];
    this.pollsOk = new Counter({
      name: 'metergate_edge_polls_ok_total',
      help: 'meter polls that produced a reading',
      registers,
    });
    this.pollsFailed = new Counter({
      name: 'metergate_edge_polls_failed_total',
      help: 'meter polls that failed after retries',
      registers,
    });
    this.readingsPublished = new Counter({
      name: 'metergate_edge_readings_published_total',
      help: 'readings acknowledged by the broker (PUBACK)',
      registers,
    });
    this.outboxDropped = new Counter({
      name: 'metergate_edge_outbox_dropped_total',
      help: 'outbox entries dropped by the size/age bounds or as corrupt',
      registers,
    });
    this.outboxDepth = new Gauge({
      name: 'metergate_edge_outbox_depth',
      help: 'readings waiting for a PUBACK',
      registers,
    });
  }

  pollOk(): void {
    this.plain.pollsOk++;
    this.pollsOk.inc();
  }
  pollFailed(): void {
    this.plain.pollsFailed++;
    this.pollsFailed.inc();
  }
  published(): void {
    this.plain.readingsPublished++;
    this.readingsPublished.inc();
  }
  dropped(n: number): void {
    this.plain.outboxDropped += n;
    this.outboxDropped.inc(n);
  }
  depth(n: number): void {
    this.plain.outboxDepth = n;
    this.outboxDepth.set(n);
  }

  snapshot(): {
    pollsOk: number;
    pollsFailed: number;
    readingsPublished: number;
    outboxDropped: number;
    outboxDepth: number;
  } {
    return { ...this.plain };
  }
}

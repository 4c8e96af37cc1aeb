import { Counter, type Registry } from 'prom-client';
import type { LogFn } from './lifecycle.js';

/**
 * Errors a service handles by carrying on (a lookup that finds no ledger, a periodic prune that
 * fails once): never swallowed silently — each is logged and counted in
 * `metergate_service_errors_total{site}`, so a recurring one shows on a dashboard.
 */
export class ServiceErrors {
  private readonly counter: Counter<'site'>;
  private readonly log: LogFn;

  constructor(options: { registry: Registry; log: LogFn }) {
    this.log = options.log;
    this.counter = new Counter({
      name: 'metergate_service_errors_total',
      help: 'Errors a gateway service handled and carried on after (logged), by site',
      labelNames: ['site'],
      registers: [options.registry],
    });
  }

  record(site: string, err: unknown): void {
    this.counter.inc({ site });
    this.log('warn', `${site}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

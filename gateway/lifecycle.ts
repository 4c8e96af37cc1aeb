import { Counter, type Registry } from 'prom-client';

export type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

interface Entry {
  name: string;
  stop: () => Promise<void> | void;
}

/**
 * The ordered list of a process's running services. Each `run` starts one service (its dependencies
 * are the values returned by earlier entries, handed over explicitly) and records how to stop it;
 * `stop` takes them down in reverse, so a service never outlives what it uses. A failure while
 * starting stops what already started before rethrowing; a failure while stopping is logged, counted
 * (`metergate_lifecycle_stop_failures_total{service}`) and does not keep the others running.
 */
export class Lifecycle {
  private readonly entries: Entry[] = [];
  private readonly log: LogFn;
  private readonly stopFailures: Counter<'service'> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: { log?: LogFn; registry?: Registry } = {}) {
    this.log = options.log ?? (() => undefined);
    this.stopFailures = options.registry
      ? new Counter({
          name: 'metergate_lifecycle_stop_failures_total',
          help: 'Services whose stop failed during shutdown (logged with the error), by service',
          labelNames: ['service'],
          registers: [options.registry],
        })
      : undefined;
  }

  /** Names of the running services, in start order. */
  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /**
   * Start one service and register its stop. `start` returns the service (or whatever later entries
   * need from it); `stop` receives it back. A service that holds nothing says so with a stop that
   * does nothing and a comment why.
   */
  async run<T>(
    name: string,
    start: () => Promise<T> | T,
    stop: (value: T) => Promise<void> | void,
  ): Promise<T> {
    if (this.stopping) throw new Error(`lifecycle: ${name} started while stopping`);
    let value: T;
    const t0 = performance.now();
    try {
      value = await start();
      this.log('info', `${name} started (${Math.round(performance.now() - t0)} ms)`);
    } catch (err) {
      this.log('error', `${name}: start failed: ${(err as Error).message}`);
      await this.stop();
      throw err;
    }
    this.entries.push({ name, stop: () => stop(value) });
    return value;
  }

  /**
   * Stop every started service in reverse order. A call during a stop awaits the same stop; once it
   * is done the list is empty and may be started again.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    while (this.entries.length) {
      const entry = this.entries.pop()!;
      const t0 = performance.now();
      try {
        await entry.stop();
        this.log('info', `${entry.name} stopped (${Math.round(performance.now() - t0)} ms)`);
      } catch (err) {
        this.stopFailures?.inc({ service: entry.name });
        this.log('error', `${entry.name}: stop failed: ${(err as Error).message}`);
      }
    }
  }
}

import { extractValues, planReads, type MeterModel, type RegisterPlan } from '../catalogue/index.js';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import type { ReadResult } from '../modbus/pdu.js';
import type { ModbusTransport } from '../modbus/transport.js';
import type { MeterReader, PollResult } from './meter-reader.js';

export interface ModbusReaderOptions {
  transport: ModbusTransport;
  unitId: number;
  model: MeterModel;
  timeoutMs?: number;
  /** Extra attempts per read after a transient failure. */
  retries?: number;
  backoff?: BackoffOptions;
}

// Exceptions worth retrying: 5 acknowledge, 6 busy (Modbus application protocol §7); 10/11 are a
// gateway's path failures. Anything else (2 illegal address, 3 illegal value…) will not change.
const TRANSIENT_EXCEPTIONS = new Set([5, 6, 10, 11]);

function transient(r: ReadResult): boolean {
  if (r.ok) return false;
  if (r.kind === 'exception') return TRANSIENT_EXCEPTIONS.has(r.exception ?? -1);
  return r.kind !== 'queue-full';
}

/** Polls one Modbus meter: the catalogue's planned reads, retried with backoff, decoded by OBIS. */
export class ModbusReader implements MeterReader {
  readonly source: 'modbus-tcp' | 'modbus-rtu';
  private readonly opts: ModbusReaderOptions;
  private plan: RegisterPlan | null = null;

  constructor(opts: ModbusReaderOptions) {
    this.opts = opts;
    this.source = opts.transport.source;
  }

  get readPlan(): RegisterPlan {
    this.plan ??= planReads(this.opts.model);
    return this.plan;
  }

  async poll(): Promise<PollResult> {
    const plan = this.readPlan;
    const responses: number[][] = [];
    for (const read of plan) {
      const req = {
        unitId: this.opts.unitId,
        function: read.function,
        address: read.address,
        count: read.count,
      };
      let result: ReadResult | undefined;
      const retries = this.opts.retries ?? 2;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) {
          const delay = backoffDelay(
            attempt - 1,
            this.opts.backoff ?? { baseMs: 100, maxMs: 2000, jitter: 0.5 },
          );
          await new Promise((r) => setTimeout(r, delay));
        }
        result = await this.opts.transport.read(req, { timeoutMs: this.opts.timeoutMs });
        if (result.ok || !transient(result)) break;
      }
      if (!result || !result.ok) {
        const why = result && !result.ok ? result.reason : 'no attempt';
        return {
          ok: false,
          reason: `read fn ${read.function} @0x${read.address.toString(16)}×${read.count}: ${why}`,
        };
      }
      responses.push(Array.from(result.registers));
    }
    const values = extractValues(plan, responses);
    if (Object.keys(values).length === 0) return { ok: false, reason: 'every register read "not available"' };
    return { ok: true, values };
  }
}

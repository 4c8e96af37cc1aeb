import {
  encodePoint,
  extractValues,
  planReads,
  type MeterModel,
  type RegisterPlan,
} from '../catalogue/index.js';
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
  /** Clock for per-field intervals (tests). */
  now?: () => number;
  /** Largest gap of unmapped registers a merged read may span (planner default 32). */
  maxGap?: number;
  /** Close the TCP connection after each poll (the transport reconnects for the next). */
  closeAfterPoll?: boolean;
  /** TCP: this unit's consecutive timeouts before it counts as silent (see TcpTransport). */
  reconnectAfterTimeouts?: number;
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
  private readonly lastRead = new Map<number, number>();
  private readonly plans = new Map<string, RegisterPlan>();

  constructor(opts: ModbusReaderOptions) {
    this.opts = opts;
    this.source = opts.transport.source;
  }

  get readPlan(): RegisterPlan {
    this.plan ??= planReads(
      this.opts.model,
      this.opts.maxGap !== undefined ? { maxGap: this.opts.maxGap } : {},
    );
    return this.plan;
  }

  /** Fields with their own `interval` are read only when due; the plan of each due set is cached. */
  private duePlan(now: number): RegisterPlan {
    const slow = this.opts.model.points.filter((p) => p.interval !== undefined);
    if (!slow.length) return this.readPlan;
    const due = new Set<number>();
    for (const p of slow) {
      const last = this.lastRead.get(p.interval!);
      if (last === undefined || now - last >= p.interval! * 1000) due.add(p.interval!);
    }
    const key = [...due].sort((a, b) => a - b).join(',');
    let plan = this.plans.get(key);
    if (!plan) {
      const points = this.opts.model.points.filter((p) => p.interval === undefined || due.has(p.interval));
      plan = points.length
        ? planReads(points, this.opts.maxGap !== undefined ? { maxGap: this.opts.maxGap } : {})
        : [];
      this.plans.set(key, plan);
    }
    for (const i of due) this.lastRead.set(i, now);
    return plan;
  }

  async poll(): Promise<PollResult> {
    const plan = this.duePlan((this.opts.now ?? Date.now)());
    if (plan.length === 0) return { ok: false, reason: 'no field is due' };
    const responses: Array<number[] | undefined> = [];
    const failures: string[] = [];
    const missing: string[] = [];
    for (const read of plan) {
      const result = await this.readWithRetries(read);
      if (result.ok) {
        responses.push(Array.from(result.registers));
        continue;
      }
      // One failing block (an address the firmware does not have, a busy answer) must not cost the
      // blocks that were read: publish those, and name the fields that are missing.
      responses.push(undefined);
      failures.push(
        `read fn ${read.function} @0x${read.address.toString(16)}×${read.count}: ${result.reason}`,
      );
      for (const p of read.points) if (p.obis) missing.push(p.obis);
    }
    if (this.opts.closeAfterPoll && 'closeConnection' in this.opts.transport)
      (this.opts.transport as { closeConnection(): void }).closeConnection();
    if (failures.length === plan.length) return { ok: false, reason: failures.join('; ') };
    const values = extractValues(plan, responses);
    if (Object.keys(values).length === 0) return { ok: false, reason: 'every register read "not available"' };
    return failures.length === 0
      ? { ok: true, values }
      : { ok: true, values, missing, partial: failures.join('; ') };
  }

  private async readWithRetries(read: RegisterPlan[number]): Promise<ReadResult> {
    const req = {
      unitId: this.opts.unitId,
      function: read.function,
      address: read.address,
      count: read.count,
    };
    let result: ReadResult = { ok: false, kind: 'closed', reason: 'no attempt' };
    const retries = this.opts.retries ?? 2;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const delay = backoffDelay(
          attempt - 1,
          this.opts.backoff ?? { baseMs: 100, maxMs: 2000, jitter: 0.5 },
        );
        await new Promise((r) => setTimeout(r, delay));
      }
      result = await this.opts.transport.read(req, {
        timeoutMs: this.opts.timeoutMs,
        reconnectAfterTimeouts: this.opts.reconnectAfterTimeouts,
      });
      if (result.ok || !transient(result)) break;
    }
    return result;
  }

  /** The writable field named `relay`, if the model has one. */
  get relayField(): string | undefined {
    return this.opts.model.points.find((p) => p.key === 'relay' && p.writable)?.key;
  }

  /**
   * Writes a writable field: a coil with FC 5, one register with FC 6, several with FC 16 (Modbus
   * application protocol §6.5/§6.6/§6.12). Never throws for what the meter answers.
   */
  async writeField(
    key: string,
    value: number | boolean,
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    const p = this.opts.model.points.find((q) => q.key === key);
    if (!p) return { ok: false, reason: `the model has no field ${key}` };
    if (!p.writable) return { ok: false, reason: `field ${key} is not writable` };
    const unitId = this.opts.unitId;
    let words: number[];
    try {
      words = encodePoint(p, typeof value === 'boolean' ? (value ? 1 : 0) : value);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    const opts = { timeoutMs: this.opts.timeoutMs };
    const r =
      p.function === 1
        ? await this.opts.transport.write(
            { unitId, function: 5, address: p.address, value: words[0] !== 0 },
            opts,
          )
        : words.length === 1
          ? await this.opts.transport.write(
              { unitId, function: 6, address: p.address, value: words[0]! },
              opts,
            )
          : await this.opts.transport.write(
              { unitId, function: 16, address: p.address, values: words },
              opts,
            );
    return r.ok ? { ok: true } : { ok: false, reason: r.reason };
  }
}

import { commandKind, decodePayload, type MeterEvent, type TopicScheme } from '../../protocol/index.js';
import { ExecutedCommands, type CommandRecord, type RecordedAnswer } from './executed-commands.js';
import type { PollResult } from './meter-reader.js';

/** What a meter must offer to execute commands (the Modbus reader, the DLMS reader: class 70 disconnect control). */
export interface CommandTarget {
  writeField(key: string, value: number | boolean): Promise<{ ok: true } | { ok: false; reason: string }>;
  poll(): Promise<PollResult>;
  /** The writable field that switches the supply, if the model has one (`relay`). */
  readonly relayField?: string;
}

export interface CommandHandlerOptions {
  topics: TopicScheme;
  targets: ReadonlyMap<string, CommandTarget>;
  /** Publishes the outcome event (durably, through the outbox). */
  publishEvent: (meterId: string, event: MeterEvent) => void;
  /** A `cmd/read` reading goes out like a scheduled poll's. */
  onRead: (meterId: string, result: PollResult) => void;
  now?: () => number;
  /**
   * The command ids taken, for idempotency: started by the caller, persisted beside the outbox by
   * the edge so a restart does not forget them. Default: in memory, `rememberIds` at most.
   */
  executed?: ExecutedCommands;
  /** Command ids remembered by the default in-memory record (oldest forgotten first). */
  rememberIds?: number;
}

const COMMANDS = new Set(['relay', 'set', 'read']);

/**
 * Executes `…/meters/{id}/cmd/relay|set|read` on the meter and answers on `…/event` (kind `command`,
 * outcome done | failed | expired | rejected | duplicate). Idempotent by command id: a redelivered
 * QoS 1 command (same id) is answered `duplicate`, with what came of the first delivery, and not
 * executed again — also after a restart, the ids being journalled (executed-commands.ts) before the
 * meter is touched; a command past its `expiresAt` is answered `expired` and not executed. Commands
 * of one meter run one after another.
 */
export class CommandHandler {
  private readonly opts: CommandHandlerOptions;
  private readonly executed: ExecutedCommands;
  private readonly chains = new Map<string, Promise<void>>();

  constructor(opts: CommandHandlerOptions) {
    this.opts = opts;
    this.executed = opts.executed ?? new ExecutedCommands({ max: opts.rememberIds, now: opts.now });
  }

  /**
   * One subscription filter per meter of this edge (`{prefix}/meters/{id}/cmd/+`): the broker lets an
   * edge read only its own meters' commands, so a `meters/+/cmd/+` wildcard would be refused.
   */
  static filters(topics: TopicScheme, meterIds: Iterable<string>): string[] {
    return [...meterIds].map((id) => topics.command(id, 'x').replace(/\/cmd\/x$/, '/cmd/+'));
  }

  /** Handles one MQTT message; returns when the command has been executed and answered. */
  handle(topic: string, payload: Buffer): Promise<void> {
    const parsed = this.opts.topics.parse(topic);
    if (!parsed.ok || parsed.kind !== 'cmd' || !COMMANDS.has(parsed.command)) return Promise.resolve();
    const meterId = parsed.meterId;
    const target = this.opts.targets.get(meterId);
    if (!target) return Promise.resolve(); // another edge's meter
    const prev = this.chains.get(meterId) ?? Promise.resolve();
    const next = prev.then(() => this.execute(meterId, parsed.command, target, payload));
    this.chains.set(meterId, next);
    return next;
  }

  private answer(
    meterId: string,
    command: string,
    id: string | undefined,
    outcome: MeterEvent['outcome'],
    extra: Partial<MeterEvent> = {},
  ): void {
    const ts = new Date(this.opts.now?.() ?? Date.now()).toISOString();
    this.opts.publishEvent(meterId, {
      v: 1,
      meter: meterId,
      ts,
      kind: 'command',
      command,
      ...(id ? { cmd: id } : {}),
      outcome,
      ...extra,
    });
  }

  private async execute(
    meterId: string,
    command: string,
    target: CommandTarget,
    payload: Buffer,
  ): Promise<void> {
    const decoded = decodePayload(commandKind(command)!, payload);
    if (!decoded.ok) {
      this.answer(meterId, command, undefined, 'rejected', { detail: decoded.message.slice(0, 500) });
      return;
    }
    const cmd = decoded.value as {
      id: string;
      meter?: string;
      expiresAt?: string;
      action?: string;
      relay?: string;
      field?: string;
      value?: number | boolean;
    };
    if (cmd.meter !== undefined && cmd.meter !== meterId) {
      this.answer(meterId, command, cmd.id, 'rejected', {
        detail: `meter ${cmd.meter} does not match the topic`,
      });
      return;
    }
    const key = `${meterId}/${cmd.id}`;
    const prior = this.executed.get(key);
    if (prior) {
      this.answer(meterId, command, cmd.id, 'duplicate', duplicateOf(prior));
      return;
    }
    const expiresAt = cmd.expiresAt === undefined ? undefined : Date.parse(cmd.expiresAt);
    try {
      this.executed.begin(key, Number.isFinite(expiresAt) ? expiresAt : undefined);
    } catch (err) {
      // Without the record a redelivery could execute it twice: better not at all.
      this.answer(meterId, command, cmd.id, 'failed', {
        detail: `not executed: the command id cannot be recorded (${(err as Error).message})`.slice(0, 500),
      });
      return;
    }
    const reply = (outcome: MeterEvent['outcome'], extra: Partial<MeterEvent> = {}) => {
      this.answer(meterId, command, cmd.id, outcome, extra);
      const { field, value, relay, detail } = extra;
      this.executed.finish(key, { outcome, field, value, relay, detail });
    };
    await this.run(meterId, command, cmd, target, reply);
  }

  private async run(
    meterId: string,
    command: string,
    cmd: { expiresAt?: string; action?: string; relay?: string; field?: string; value?: number | boolean },
    target: CommandTarget,
    reply: (outcome: MeterEvent['outcome'], extra?: Partial<MeterEvent>) => void,
  ): Promise<void> {
    const now = this.opts.now?.() ?? Date.now();
    if (cmd.expiresAt !== undefined && Date.parse(cmd.expiresAt) <= now) {
      reply('expired', { detail: `expired at ${cmd.expiresAt}` });
      return;
    }
    if (command === 'read') {
      const r = await target.poll();
      this.opts.onRead(meterId, r);
      reply(r.ok ? 'done' : 'failed', r.ok ? {} : { detail: r.reason.slice(0, 500) });
      return;
    }
    let field: string | undefined;
    let value: number | boolean;
    if (command === 'relay') {
      const want =
        cmd.action ??
        (cmd.relay === 'disconnected' ? 'open' : cmd.relay === 'connected' ? 'close' : undefined);
      if (!want || (cmd.action && cmd.relay)) {
        reply('rejected', {
          detail: 'give exactly one of action (open|close) or relay',
        });
        return;
      }
      field = target.relayField;
      // The relay coil is ON when the supply is connected: open = 0, close = 1.
      value = want === 'close';
      if (!field) {
        reply('rejected', {
          detail: 'the meter model has no writable relay field',
        });
        return;
      }
    } else {
      field = cmd.field!;
      value = cmd.value!;
    }
    const r = await target.writeField(field, value);
    const relay =
      command === 'relay' ? { relay: value ? ('connected' as const) : ('disconnected' as const) } : {};
    if (r.ok)
      reply('done', {
        field,
        ...(typeof value === 'number' ? { value } : {}),
        ...relay,
      });
    else reply('failed', { field, detail: r.reason.slice(0, 500) });
  }
}

/**
 * A redelivery's answer: `duplicate` (the gateway changes nothing on it), carrying what the first
 * delivery did so an operator reading the trail sees it.
 */
function duplicateOf(prior: CommandRecord): Partial<MeterEvent> {
  const first = new Date(prior.at).toISOString();
  const a: RecordedAnswer | undefined = prior.answer;
  if (!a?.outcome)
    return {
      detail: `first delivered at ${first}, no answer recorded (the edge stopped meanwhile); not executed again`,
    };
  return {
    ...(a.field !== undefined ? { field: a.field } : {}),
    ...(a.value !== undefined ? { value: a.value } : {}),
    ...(a.relay !== undefined ? { relay: a.relay } : {}),
    detail: `first delivered at ${first}, answered ${a.outcome}${a.detail ? `; ${a.detail}` : ''}`.slice(
      0,
      500,
    ),
  };
}

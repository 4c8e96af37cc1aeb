import { randomBytes } from 'node:crypto';
import { decodePayload, TopicScheme, type MeterEvent } from '../../../protocol/index.js';
import {
  GatewayError,
  runMigrations,
  type MessageBus,
  type SqlDatabase,
  type SqlExecutor,
} from '../../platform/index.js';
import './errors.js';
import { COMMAND_MIGRATIONS } from './migrations.js';

export type CommandName = 'relay' | 'set' | 'read';
/**
 * pending: not yet acknowledged by the broker; sent: at the broker; done | failed | expired |
 * rejected: the edge's answer. `unanswered` is never stored: a command still pending or sent after
 * its expiry (plus a grace for the answer to travel) is reported so — its edge never executed it.
 */
export type CommandStatus =
  'pending' | 'sent' | 'not-sent' | 'done' | 'failed' | 'expired' | 'rejected' | 'unanswered';
/** How long after a command's expiry its answer may still be on its way. */
const ANSWER_GRACE_MS = 60_000;

/** A command as issued (IssueCommand without its ttl) and what became of it. */
export interface MeterCommand extends Omit<IssueCommand, 'ttlSeconds'> {
  id: string;
  status: CommandStatus;
  /** A relay command that was done: the supply's state after it. */
  relay?: 'connected' | 'disconnected';
  detail?: string;
  createdAt: string;
  expiresAt: string;
  answeredAt?: string;
}

export interface IssueCommand {
  meterId: string;
  command: CommandName;
  action?: 'open' | 'close';
  field?: string;
  value?: number | boolean;
  reason?: string;
  /** Who asked (API key id or JWT subject), audited. */
  requestedBy: string;
  /** The caller's idempotency key: a retry with the same one returns the first command. */
  requestId?: string;
  /** How long the edge may still execute it (default `defaultTtlSeconds`). */
  ttlSeconds?: number;
}

export interface MeterCommandServiceOptions {
  db: SqlDatabase;
  bus: Pick<MessageBus, 'publish' | 'subscribe'>;
  topics?: TopicScheme;
  /** Is this meter one the gateway knows (ledger or readings)? Unknown meters are refused (404). */
  knownMeter: (meterId: string) => Promise<boolean>;
  defaultTtlSeconds?: number;
  /** How long a request waits for the broker's PUBACK before answering `pending` (the publish goes on). */
  publishWaitMs?: number;
  now?: () => number;
  log?: (level: 'warn', message: string) => void;
}

interface Row {
  id: string;
  meter_id: string;
  command: CommandName;
  action: 'open' | 'close' | null;
  field: string | null;
  value: number | boolean | null;
  reason: string | null;
  requested_by: string;
  request_id: string | null;
  status: CommandStatus;
  relay: 'connected' | 'disconnected' | null;
  detail: string | null;
  created_at: Date;
  expires_at: Date;
  answered_at: Date | null;
}

const ANSWERS = new Set<string>(['done', 'failed', 'expired', 'rejected']);
const iso = (d: Date | string) => new Date(d).toISOString();

function toCommand(r: Row, now: number): MeterCommand {
  const waiting = r.status === 'pending' || r.status === 'sent' || r.status === 'not-sent';
  const unanswered = waiting && now > new Date(r.expires_at).getTime() + ANSWER_GRACE_MS;
  return {
    id: r.id,
    meterId: r.meter_id,
    command: r.command,
    ...(r.action ? { action: r.action } : {}),
    ...(r.field !== null ? { field: r.field } : {}),
    ...(r.value !== null ? { value: r.value } : {}),
    ...(r.reason !== null ? { reason: r.reason } : {}),
    requestedBy: r.requested_by,
    ...(r.request_id !== null ? { requestId: r.request_id } : {}),
    status: unanswered ? 'unanswered' : r.status,
    ...(r.relay ? { relay: r.relay } : {}),
    ...(r.detail !== null ? { detail: r.detail } : {}),
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    ...(r.answered_at ? { answeredAt: iso(r.answered_at) } : {}),
  };
}

/**
 * Commands from the centre (issue 20 §3): a command is stored first (status `pending`), published
 * QoS 1 on `…/meters/{id}/cmd/{relay|set|read}` through the gateway's bus, marked `sent` at the
 * broker's PUBACK, and closed by the edge's answer on `…/meters/{id}/event` (kind `command`, same
 * id): done | failed | expired | rejected. The command id is the edge's idempotency key, the
 * caller's `requestId` the REST retry key. Every step is appended to the audit log.
 */
export class MeterCommandService {
  private readonly opts: MeterCommandServiceOptions;
  private readonly topics: TopicScheme;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(opts: MeterCommandServiceOptions) {
    this.opts = opts;
    this.topics = opts.topics ?? new TopicScheme();
  }

  async start(): Promise<this> {
    await runMigrations(this.opts.db, COMMAND_MIGRATIONS);
    await this.opts.bus.subscribe(
      `${this.topics.prefix}/meters/+/event`,
      async (message) => {
        await this.onEvent(message.topic, message.payload);
      },
      { qos: 1 },
    );
    return this;
  }

  /** Waits for publishes still in flight (their status is written when the broker answers). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private async audit(
    id: string,
    meterId: string,
    step: string,
    actor: string,
    detail?: string,
    db: SqlExecutor = this.opts.db,
  ) {
    await db.query(
      'INSERT INTO meter_command_log (command_id, meter_id, step, actor, detail) VALUES ($1, $2, $3, $4, $5)',
      [id, meterId, step, actor, detail ?? null],
    );
  }

  /** Store, audit and publish one command; returns it with its status (`created` false on a retry). */
  async issue(req: IssueCommand): Promise<{ command: MeterCommand; created: boolean }> {
    if (!(await this.opts.knownMeter(req.meterId))) {
      throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: req.meterId } });
    }
    const db = this.opts.db;
    const now = this.now();
    const id = `c${now.toString(36)}${randomBytes(8).toString('hex')}`;
    const ttl = req.ttlSeconds ?? this.opts.defaultTtlSeconds ?? 300;
    const expiresAt = new Date(now + ttl * 1000);
    const value = req.value === undefined ? null : JSON.stringify(req.value);
    const { rows } = await db.query<Row>(
      `INSERT INTO meter_commands (id, meter_id, command, action, field, value, reason, requested_by, request_id, status, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, 'pending', $10, $11)
       ON CONFLICT (meter_id, request_id) DO NOTHING RETURNING *`,
      [
        id,
        req.meterId,
        req.command,
        req.action ?? null,
        req.field ?? null,
        value,
        req.reason ?? null,
        req.requestedBy,
        req.requestId ?? null,
        new Date(now),
        expiresAt,
      ],
    );
    if (!rows[0]) return { command: await this.replay(req), created: false };
    const what = [req.command, req.action, req.field, value].filter((x) => x != null).join(' ');
    await this.audit(
      id,
      req.meterId,
      'requested',
      req.requestedBy,
      `${what}${req.reason ? ` (${req.reason})` : ''}`,
    );
    const payload = {
      v: 1 as const,
      id,
      meter: req.meterId,
      ts: new Date(now).toISOString(),
      expiresAt: expiresAt.toISOString(),
      ...(req.action ? { action: req.action } : {}),
      ...(req.field !== undefined ? { field: req.field, value: req.value } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
    };
    const published = this.publish(id, req.meterId, req.command, JSON.stringify(payload));
    this.inFlight.add(published);
    void published.finally(() => this.inFlight.delete(published));
    // The caller hears `sent` when the broker acknowledges quickly, else `pending` (it carries on).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      published,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.publishWaitMs ?? 2000))),
    ]);
    clearTimeout(timer);
    return { command: (await this.get(req.meterId, id))!, created: true };
  }

  private async publish(id: string, meterId: string, command: CommandName, payload: string): Promise<void> {
    try {
      await this.opts.bus.publish(this.topics.command(meterId, command), payload, { qos: 1, retain: false });
      await this.opts.db.transaction(async (tx) => {
        await tx.query(`UPDATE meter_commands SET status = 'sent' WHERE id = $1 AND status = 'pending'`, [
          id,
        ]);
        await this.audit(id, meterId, 'sent', 'gateway', undefined, tx);
      });
    } catch (err) {
      const reason = (err as Error).message.slice(0, 500);
      this.opts.log?.('warn', `command ${id} for ${meterId} not sent: ${reason}`);
      try {
        await this.opts.db.query(
          `UPDATE meter_commands SET status = 'not-sent', detail = $2 WHERE id = $1 AND status = 'pending'`,
          [id, reason],
        );
        await this.audit(id, meterId, 'not-sent', 'gateway', reason);
      } catch (dbErr) {
        this.opts.log?.('warn', `command ${id}: status not stored: ${(dbErr as Error).message}`);
      }
    }
  }

  /** A retried request id: the first command, or 409 when the retry asks for something else. */
  private async replay(req: IssueCommand): Promise<MeterCommand> {
    const { rows } = await this.opts.db.query<Row>(
      'SELECT * FROM meter_commands WHERE meter_id = $1 AND request_id = $2',
      [req.meterId, req.requestId],
    );
    const first = rows[0]!;
    const same =
      first.command === req.command &&
      (first.action ?? undefined) === req.action &&
      (first.field ?? undefined) === req.field &&
      (first.value ?? undefined) === req.value;
    if (!same) {
      throw new GatewayError('MG_ERR_COMMAND_REQUEST_REUSED', { params: { requestId: req.requestId! } });
    }
    return toCommand(first, this.now());
  }

  async get(meterId: string, id: string): Promise<MeterCommand | undefined> {
    const { rows } = await this.opts.db.query<Row>(
      'SELECT * FROM meter_commands WHERE id = $1 AND meter_id = $2',
      [id, meterId],
    );
    return rows[0] ? toCommand(rows[0], this.now()) : undefined;
  }

  /** Newest first. */
  async list(meterId: string, limit = 50): Promise<MeterCommand[]> {
    const { rows } = await this.opts.db.query<Row>(
      'SELECT * FROM meter_commands WHERE meter_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
      [meterId, limit],
    );
    const now = this.now();
    return rows.map((r) => toCommand(r, now));
  }

  /**
   * The supply's last reported state: from a relay command done or the meter's own `relay` event
   * (a prepaid meter opening at zero credit), whichever the meter stamped last; `cause` says which.
   */
  async relayState(
    meterId: string,
  ): Promise<{ relay: 'connected' | 'disconnected'; at: string; cause: string } | undefined> {
    const { rows } = await this.opts.db.query<{
      relay: 'connected' | 'disconnected';
      at: Date;
      cause: string;
    }>('SELECT relay, at, cause FROM meter_relay_state WHERE meter_id = $1', [meterId]);
    return rows[0] ? { relay: rows[0].relay, at: iso(rows[0].at), cause: rows[0].cause } : undefined;
  }

  private async recordRelay(
    meterId: string,
    relay: string,
    at: string,
    cause: string,
    db: SqlExecutor = this.opts.db,
  ): Promise<void> {
    await db.query(
      `INSERT INTO meter_relay_state AS s (meter_id, relay, at, cause) VALUES ($1, $2, $3, $4)
       ON CONFLICT (meter_id) DO UPDATE SET relay = excluded.relay, at = excluded.at, cause = excluded.cause
       WHERE s.at <= excluded.at`,
      [meterId, relay, new Date(at), cause],
    );
  }

  /** The audit trail of one command, oldest first. */
  async trail(id: string): Promise<Array<{ at: string; step: string; actor: string; detail?: string }>> {
    const { rows } = await this.opts.db.query<{
      at: Date;
      step: string;
      actor: string;
      detail: string | null;
    }>('SELECT at, step, actor, detail FROM meter_command_log WHERE command_id = $1 ORDER BY id', [id]);
    return rows.map((r) => ({
      at: iso(r.at),
      step: r.step,
      actor: r.actor,
      ...(r.detail ? { detail: r.detail } : {}),
    }));
  }

  /**
   * The edge's answer (kind `command`). `duplicate` (a redelivered command already executed) changes
   * nothing; an answer to a command already closed is audited but does not overwrite it.
   */
  async onEvent(topic: string, payload: Buffer | string): Promise<{ ok: boolean; reason?: string }> {
    const parsed = this.topics.parse(topic);
    if (!parsed.ok || parsed.kind !== 'event') return { ok: false, reason: 'not an event topic' };
    const decoded = decodePayload('event', payload);
    if (!decoded.ok) return { ok: false, reason: 'invalid event payload' };
    const ev = decoded.value as MeterEvent;
    if (ev.meter !== parsed.meterId) return { ok: false, reason: 'event meter does not match its topic' };
    if (ev.kind === 'relay' && ev.relay) {
      await this.recordRelay(ev.meter, ev.relay, ev.ts, 'meter');
      return { ok: true };
    }
    if (ev.kind !== 'command' || !ev.cmd || !ev.outcome) return { ok: true };
    if (!ANSWERS.has(ev.outcome)) return { ok: true };
    // The outcome, the relay state it leaves and its audit line land together (readers never see
    // a command done whose relay state or trail is not there yet).
    const { cmd, outcome } = ev;
    return this.opts.db.transaction(async (tx) => {
      const r = await tx.query(
        `UPDATE meter_commands SET status = $3, detail = $4, relay = $5, answered_at = $6
          WHERE id = $1 AND meter_id = $2 AND status IN ('pending', 'sent', 'not-sent')`,
        [cmd, ev.meter, outcome, ev.detail ?? null, ev.relay ?? null, new Date(ev.ts)],
      );
      const known = await tx.query('SELECT 1 FROM meter_commands WHERE id = $1 AND meter_id = $2', [
        cmd,
        ev.meter,
      ]);
      if (!known.rows.length) return { ok: false, reason: 'no such command for this meter' };
      if (r.rowCount > 0 && outcome === 'done' && ev.relay) {
        await this.recordRelay(ev.meter, ev.relay, ev.ts, cmd, tx);
      }
      await this.audit(cmd, ev.meter, r.rowCount > 0 ? outcome : `late-${outcome}`, 'edge', ev.detail, tx);
      return { ok: true };
    });
  }
}

import { decodePayload, TopicScheme, type MeterEvent, type TokenCommand } from '../../../protocol/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { audit, type IssueResult } from './ledger-tx.js';
import { confirmByAcceptedToken } from '../management/key-change-ride.js';

/**
 * What delivery needs from MQTT: structurally the ingest engineer's `MessageBus` (gateway/bus), so
 * the bus is passed as is; any object with these two methods works.
 */
export interface TokenPublisher {
  publish(
    topic: string,
    payload: string | Buffer,
    opts?: { qos?: 0 | 1; retain?: boolean },
  ): Promise<void> | void;
}
export interface EventSubscriber {
  subscribe(
    filter: string,
    handler: (message: { topic: string; payload: Buffer }) => void | Promise<void>,
    opts?: { qos?: 0 | 1 },
  ): Promise<unknown> | unknown;
}

export interface TokenDeliveryOptions {
  publisher: TokenPublisher;
  subscriber?: EventSubscriber;
  topics?: TopicScheme;
  /** Logger for delivery failures (never given token key material; digits are not secret). */
  log?: { warn(obj: object, msg: string): void };
}

interface Host {
  db: SqlDatabase;
}

/**
 * Remote delivery (ARCHITECTURE.md "Contracts"): tokens for connected meters go out on
 * `…/meters/{id}/cmd/token` as a TokenCommand (QoS 1), and the meter's `event` topic reports
 * `token.accepted` / `token.rejected`, which update the token's status in the ledger. Delivery
 * is after the ledger commit: a failed publish leaves the token `issued` (the customer still has
 * the digits on the receipt) and is logged, never rolled back.
 */
export class TokenDelivery {
  private readonly options: TokenDeliveryOptions;
  private readonly topics: TopicScheme;
  private host: Host | undefined;

  constructor(options: TokenDeliveryOptions) {
    this.options = options;
    this.topics = options.topics ?? new TopicScheme();
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    if (this.options.subscriber) {
      const filter = `${this.topics.prefix}/meters/+/event`;
      await this.options.subscriber.subscribe(
        filter,
        async (message) => {
          await this.onEvent(message.topic, message.payload);
        },
        { qos: 1 },
      );
    }
  }

  async stop(): Promise<void> {
    this.host = undefined;
  }

  /** Publish every token of a fresh result whose meter is connected. */
  async deliver(result: IssueResult): Promise<void> {
    const db = this.host?.db;
    if (!db) return;
    let rows: Array<{ connected: boolean }>;
    try {
      ({ rows } = await db.query<{ connected: boolean }>('SELECT connected FROM meters WHERE id = $1', [
        result.meterId,
      ]));
    } catch (err) {
      this.options.log?.warn(
        { meterId: result.meterId, err: (err as Error).message },
        'token delivery lookup failed',
      );
      return;
    }
    if (!rows[0]?.connected) return;
    for (const [i, t] of result.tokens.entries()) {
      const cmd: TokenCommand = {
        v: 1,
        id: `${result.vendId.replaceAll('-', '')}.${i}`.slice(0, 64),
        meter: result.meterId,
        ts: new Date().toISOString(),
        token: t.digits,
      };
      try {
        await this.options.publisher.publish(
          this.topics.command(result.meterId, 'token'),
          JSON.stringify(cmd),
          { qos: 1, retain: false },
        );
        await db.query(
          `UPDATE tokens SET status = 'sent', updated_at = now() WHERE meter_id = $1 AND digits = $2 AND status = 'issued'`,
          [result.meterId, t.digits],
        );
      } catch (err) {
        this.options.log?.warn(
          { meterId: result.meterId, vendId: result.vendId, err: (err as Error).message },
          'token delivery failed',
        );
      }
    }
  }

  /** A meter event: token accepted/rejected updates the matching token; anything else is ignored. */
  async onEvent(topic: string, payload: Buffer | string): Promise<{ ok: boolean; reason?: string }> {
    const db = this.host?.db;
    if (!db) return { ok: false, reason: 'not started' };
    const parsed = this.topics.parse(topic);
    if (!parsed.ok || parsed.kind !== 'event')
      return { ok: false, reason: parsed.ok ? 'not an event topic' : parsed.reason };
    const decoded = decodePayload('event', payload);
    if (!decoded.ok) return { ok: false, reason: 'invalid event payload' };
    const ev = decoded.value as MeterEvent;
    if (ev.meter !== parsed.meterId) return { ok: false, reason: 'event meter does not match its topic' };
    if ((ev.kind !== 'token.accepted' && ev.kind !== 'token.rejected') || !ev.token) return { ok: true };
    const status = ev.kind === 'token.accepted' ? 'accepted' : 'rejected';
    const r = await db.query<{ vend_id: string; was: string }>(
      // A cancelled (reversed) token stays cancelled in the books; what the meter did goes in its reason.
      `UPDATE tokens t SET status = CASE WHEN o.was = 'cancelled' THEN 'cancelled' ELSE $3 END,
              reason = CASE WHEN o.was = 'cancelled' THEN 'reversed; meter: ' || $3 ELSE $4 END, updated_at = now()
         FROM (SELECT id, status AS was FROM tokens WHERE meter_id = $1 AND digits = $2 AND status <> 'accepted' FOR UPDATE) o
        WHERE t.id = o.id RETURNING t.vend_id, o.was`,
      [ev.meter, ev.token, status, status === 'rejected' ? (ev.reason ?? null) : null],
    );
    if (status === 'accepted') {
      // STS cannot revoke: a reversed vend's token typed at the meter is still accepted; say so in the audit log.
      for (const row of r.rows.filter((x) => x.was === 'cancelled')) {
        await audit(db, 'meter', 'token.accepted-after-reversal', ev.meter, {
          vendId: row.vend_id,
          token: ev.token,
        });
      }
      if (r.rows.length) await confirmByAcceptedToken(db, ev.meter, ev.token);
    }
    return r.rowCount > 0 ? { ok: true } : { ok: false, reason: 'no such token for this meter' };
  }
}

import mqtt, { type MqttClient } from 'mqtt';
import {
  TopicScheme,
  decodePayload,
  type MeterEvent,
  type MeterState,
  type Reading,
} from '../../protocol/index.js';
import {
  MeterDecoder,
  type MeterEntryResult,
  type MeterKey,
  type StaTables,
} from '../../token-engine/index.js';
import type { Clock } from '../model/clock.js';
import { LoadProfile } from '../model/load-profile.js';

/**
 * An MQTT-native STS prepaid meter: a keypad (`enterToken`) and a `cmd/token` subscription both feed
 * the meter-side decoder; consumption draws the credit register down, the relay opens at zero credit
 * and closes again when credit arrives. It publishes readings, retained state and events on the
 * protocol topics, as a real smart prepaid meter with a cellular/Wi-Fi module would. The centre's
 * `cmd/relay` (an operator's open/close) is obeyed too and answered with a `command` event: an
 * operator's open holds whatever the credit; a close reconnects only while there is credit.
 */
export interface MqttPrepaidMeterOptions {
  meterId: string;
  meterKey: MeterKey;
  staTables?: StaTables;
  brokerUrl: string;
  username?: string;
  password?: string;
  prefix?: string;
  /** Load model; default a household profile seeded with the meter id. */
  profile?: LoadProfile;
  /** Simulated time (acceleration); default the wall clock. */
  clock?: Clock;
  /** Multiplies the profile's power, so a demo can drain credit in minutes. */
  powerScale?: number;
  readingIntervalMs?: number;
  /** Warn once when credit falls below this (kWh); re-armed by the next purchase. */
  lowCreditKwh?: number;
}

export type PrepaidEntryResult = MeterEntryResult;

const wallClock: Clock = { now: () => Date.now() };

export class MqttPrepaidMeter {
  private readonly options: MqttPrepaidMeterOptions;
  private readonly topics: TopicScheme;
  private decoder: MeterDecoder | undefined;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private energyKwh = 0;
  private lastTick = 0;
  private relay: 'connected' | 'disconnected' = 'disconnected';
  /** Opened by the operator (cmd/relay open): stays open, whatever the credit, until a close. */
  private operatorOpen = false;
  /** Relay command ids already executed (a redelivered QoS 1 command is answered `duplicate`). */
  private readonly commandIds = new Set<string>();
  private lowWarned = false;
  /** Wall-clock end of a simulated power cut (fault injection): no consumption, no reading until then. */
  private unpoweredUntil = 0;

  constructor(options: MqttPrepaidMeterOptions) {
    this.options = options;
    this.topics = new TopicScheme(options.prefix);
  }

  get id(): string {
    return this.options.meterId;
  }
  get credit(): number {
    return this.decoder?.credit ?? 0;
  }
  get relayState(): 'connected' | 'disconnected' {
    return this.relay;
  }
  get energy(): number {
    return this.energyKwh;
  }

  private get clock(): Clock {
    return this.options.clock ?? wallClock;
  }

  private get profile(): LoadProfile {
    return (this.options.profile ??= new LoadProfile({
      kind: 'household',
      seed: 'prepaid',
      meterId: this.options.meterId,
    }));
  }

  async start(): Promise<void> {
    this.decoder = new MeterDecoder({ meterKey: this.options.meterKey, staTables: this.options.staTables });
    this.lastTick = this.clock.now();
    const willState: MeterState = { v: 1, meter: this.id, ts: new Date().toISOString(), online: false };
    this.client = await mqtt.connectAsync(this.options.brokerUrl, {
      clientId: `prepaid-${this.id}`,
      username: this.options.username,
      password: this.options.password,
      reconnectPeriod: 1000,
      will: {
        topic: this.topics.state(this.id),
        payload: Buffer.from(JSON.stringify(willState)),
        qos: 1,
        retain: true,
      },
    });
    this.client.on('message', (topic, payload) => this.onCommand(topic, payload));
    await this.client.subscribeAsync(
      [this.topics.command(this.id, 'token'), this.topics.command(this.id, 'relay')],
      { qos: 1 },
    );
    this.publishState();
    const every = this.options.readingIntervalMs ?? 5000;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      const offline: MeterState = { v: 1, meter: this.id, ts: new Date().toISOString(), online: false };
      await client
        .publishAsync(this.topics.state(this.id), JSON.stringify(offline), { qos: 1, retain: true })
        .catch(() => {});
      await client.endAsync();
    }
  }

  /** The customer types a token on the keypad. */
  enterToken(token: string): PrepaidEntryResult {
    const decoder = this.requireDecoder();
    const now = new Date(this.clock.now());
    const result = decoder.enter(token.replace(/[\s-]/g, ''), now);
    const digits = /^\d{20}$/.test(token.replace(/[\s-]/g, '')) ? token.replace(/[\s-]/g, '') : undefined;
    if (result.ok) {
      if (result.kind === 'credit') this.lowWarned = false;
      this.publishEvent({
        kind: 'token.accepted',
        token: digits,
        credit: round(decoder.credit),
        detail: result.kind,
      });
      this.updateRelay();
    } else {
      this.publishEvent({
        kind: 'token.rejected',
        token: digits,
        reason: result.reason,
        detail: result.message.slice(0, 200),
      });
    }
    this.publishState();
    return result;
  }

  /** Fault injection: the supply is cut for `ms` (the meter is dark: it neither counts nor reports). */
  powerCut(ms: number): void {
    this.unpoweredUntil = Math.max(this.unpoweredUntil, Date.now() + ms);
  }

  /** Advance the meter to the clock's now: draw credit, move the register, publish one reading. */
  tick(): void {
    const decoder = this.requireDecoder();
    const now = this.clock.now();
    if (Date.now() < this.unpoweredUntil) {
      this.lastTick = now;
      return;
    }
    const scale = this.options.powerScale ?? 1;
    const demand = this.profile.energyBetween(this.lastTick, now).total * scale;
    this.lastTick = now;
    if (this.relay === 'connected') this.energyKwh += decoder.consume(demand);
    const low = this.options.lowCreditKwh ?? 5;
    if (this.relay === 'connected' && decoder.credit < low && !this.lowWarned) {
      this.lowWarned = true;
      this.publishEvent({ kind: 'credit.low', credit: round(decoder.credit) });
    }
    this.updateRelay();
    const power = this.relay === 'connected' ? this.profile.powerAt(now) * scale : 0;
    const reading: Reading = {
      v: 1,
      meter: this.id,
      seq: ++this.seq,
      ts: new Date(now).toISOString(),
      values: {
        '1-0:1.8.0': round(this.energyKwh),
        '1-0:1.7.0': round(power),
        '1-0:32.7.0': round(230 + 4 * (this.profile.draw(Math.floor(now / 60_000), 7) - 0.5)),
        '1-0:14.7.0': 50,
      },
      quality: 'good',
      source: 'mqtt',
    };
    this.client?.publish(this.topics.reading(this.id), JSON.stringify(reading), { qos: 1 });
    this.publishState();
  }

  private updateRelay(): void {
    const credit = this.decoder?.credit ?? 0;
    const want = credit > 0 && !this.operatorOpen ? 'connected' : 'disconnected';
    if (want === this.relay) return;
    this.relay = want;
    this.publishEvent({ kind: 'relay', relay: want });
    if (want === 'disconnected' && credit <= 0) this.publishEvent({ kind: 'credit.exhausted', credit: 0 });
  }

  /** `cmd/relay` from the centre: open holds the relay open; close releases it (credit permitting). */
  private onRelayCommand(payload: Buffer): void {
    const answer = (
      outcome: NonNullable<MeterEvent['outcome']>,
      extra: Omit<MeterEvent, 'v' | 'meter' | 'ts' | 'kind'> = {},
    ) => this.publishEvent({ kind: 'command', command: 'relay', outcome, ...extra });
    const decoded = decodePayload('cmd.relay', payload);
    if (!decoded.ok) return answer('rejected', { detail: decoded.message.slice(0, 500) });
    const cmd = decoded.value;
    const want = cmd.action ?? (cmd.relay === 'disconnected' ? 'open' : cmd.relay ? 'close' : undefined);
    if (!want || (cmd.action && cmd.relay) || (cmd.meter !== undefined && cmd.meter !== this.id)) {
      return answer('rejected', { cmd: cmd.id, detail: 'one of action or relay, for this meter' });
    }
    if (this.commandIds.has(cmd.id)) return answer('duplicate', { cmd: cmd.id });
    this.commandIds.add(cmd.id);
    if (cmd.expiresAt !== undefined && Date.parse(cmd.expiresAt) <= Date.now()) {
      return answer('expired', { cmd: cmd.id, detail: `expired at ${cmd.expiresAt}` });
    }
    this.operatorOpen = want === 'open';
    this.updateRelay();
    this.publishState();
    if (want === 'close' && this.relay !== 'connected') {
      return answer('failed', { cmd: cmd.id, detail: 'no credit: the relay closes when credit arrives' });
    }
    answer('done', { cmd: cmd.id, field: 'relay', relay: this.relay });
  }

  private onCommand(topic: string, payload: Buffer): void {
    const parsed = this.topics.parse(topic);
    if (!parsed.ok || parsed.kind !== 'cmd' || parsed.meterId !== this.id) return;
    if (parsed.command === 'relay') return this.onRelayCommand(payload);
    const cmd = decodePayload('cmd.token', payload);
    if (!cmd.ok) {
      this.publishEvent({ kind: 'token.rejected', reason: 'Format', detail: cmd.message.slice(0, 200) });
      return;
    }
    this.enterToken(cmd.value.token);
  }

  private publishEvent(fields: Omit<MeterEvent, 'v' | 'meter' | 'ts'>): void {
    const event = {
      v: 1,
      meter: this.id,
      ts: new Date(this.clock.now()).toISOString(),
      ...fields,
    } as MeterEvent;
    for (const k of Object.keys(event) as Array<keyof MeterEvent>)
      if (event[k] === undefined) delete event[k];
    this.client?.publish(this.topics.event(this.id), JSON.stringify(event), { qos: 1 });
  }

  private publishState(): void {
    const state: MeterState = {
      v: 1,
      meter: this.id,
      ts: new Date(this.clock.now()).toISOString(),
      online: true,
      credit: round(this.decoder?.credit ?? 0),
      relay: this.relay,
    };
    this.client?.publish(this.topics.state(this.id), JSON.stringify(state), { qos: 1, retain: true });
  }

  private requireDecoder(): MeterDecoder {
    if (!this.decoder) throw new Error(`prepaid meter ${this.id} used before start()`);
    return this.decoder;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

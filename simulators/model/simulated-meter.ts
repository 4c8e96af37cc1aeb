import {
  addressBlocks,
  decodePoint,
  encodePoint,
  getModel,
  type AddressBlock,
  type MeterModel,
  type ReadFunction,
  type RegisterPoint,
} from '../../drivers/index.js';
import type { Anomaly } from './anomalies.js';
import { SimClock, type Clock } from './clock.js';
import { electricalAt } from './electrical.js';
import { advance, effectivePower, seededInitialKwh, type RegisterSnapshot } from './energy-register.js';
import { FaultInjector, type FaultSpec } from './faults.js';
import { LoadProfile, type ProfileKind } from './load-profile.js';

/** Modbus exception codes (Modbus application protocol v1.1b3 §7). */
export const ModbusException = {
  ILLEGAL_FUNCTION: 1,
  ILLEGAL_DATA_ADDRESS: 2,
  ILLEGAL_DATA_VALUE: 3,
  SERVER_DEVICE_BUSY: 6,
} as const;

/** §6.3/§6.4: quantity of registers 1..125. */
export const MAX_READ_QUANTITY = 125;

/** Simulated ms between refreshes of the served register image. */
export const REFRESH_MS = 1000;

export type RegisterRead = { ok: true; registers: number[] } | { ok: false; exception: number };

export interface SimulatedMeterOptions {
  /** Meter id (topic id and seed input). */
  readonly id: string;
  /** Catalogue model name or model. */
  readonly model: string | MeterModel;
  readonly seed?: string | number;
  readonly profile?: ProfileKind;
  readonly annualKwh?: number;
  /** Import register at the clock's first reading (kWh); default drawn from the seed. */
  readonly initialKwh?: number;
  readonly exportKwh?: number;
  readonly anomalies?: readonly Anomaly[];
  readonly faults?: readonly FaultSpec[];
  /** Shared clock of the fleet (default: real time). */
  readonly clock?: Clock;
  /** Serial number (0-0:96.1.0, IEC 62056-21 address); default derived from the id. */
  readonly serial?: string;
}

/**
 * One simulated meter: a load profile driving physically consistent registers, served through the
 * catalogue's register map. Time comes from the clock, so acceleration and fast-forward are the
 * clock's business; the energy register advances incrementally and never goes backwards in time.
 */
export class SimulatedMeter {
  readonly options: SimulatedMeterOptions;
  private state:
    { model: MeterModel; profile: LoadProfile; faults: FaultInjector; blocks: AddressBlock[] } | undefined;
  private snapshot: RegisterSnapshot | undefined;
  private previous: RegisterSnapshot | undefined;
  private origin: RegisterSnapshot | undefined;
  private ownClock: Clock | undefined;
  private cachedImage: { t: number; blocks: Map<AddressBlock, Uint16Array> } | undefined;
  /** Values written by FC 5/6/15/16 to writable fields, by key. */
  private readonly written = new Map<string, number>();
  /** Relay: open since (simulated ms) with the register frozen then; energy not consumed while open. */
  private relayOpen: { since: number; totalKwh: number; tariff1Kwh: number } | null = null;
  private skippedKwh = 0;
  private skippedT1Kwh = 0;

  constructor(options: SimulatedMeterOptions) {
    this.options = options;
  }

  private get s() {
    if (!this.state) {
      const model =
        typeof this.options.model === 'string' ? getModel(this.options.model) : this.options.model;
      const seed = this.options.seed ?? 0;
      const profile = new LoadProfile({
        kind: this.options.profile ?? 'household',
        seed,
        meterId: this.options.id,
        ...(this.options.annualKwh !== undefined ? { annualKwh: this.options.annualKwh } : {}),
      });
      const faults = new FaultInjector({
        faults: this.options.faults ?? [],
        seed: `${seed}/${this.options.id}`,
      });
      this.state = { model, profile, faults, blocks: addressBlocks(model) };
    }
    return this.state;
  }

  get id(): string {
    return this.options.id;
  }
  get model(): MeterModel {
    return this.s.model;
  }
  get profile(): LoadProfile {
    return this.s.profile;
  }
  get faults(): FaultInjector {
    return this.s.faults;
  }
  get clock(): Clock {
    return (this.ownClock ??= this.options.clock ?? new SimClock());
  }
  get serial(): string {
    return this.options.serial ?? String(10_000_000 + (this.s.profile.seedKey % 90_000_000));
  }
  get exportKwh(): number {
    return this.options.exportKwh ?? 0;
  }

  /** The register at simulated time t (must not precede the meter's first reading). */
  registerAt(t: number): RegisterSnapshot {
    const { profile } = this.s;
    if (!this.origin) {
      const initial = this.options.initialKwh ?? seededInitialKwh(profile);
      this.origin = { t, totalKwh: initial, tariff1Kwh: Math.round(initial * 0.6) };
      this.snapshot = this.origin;
    }
    // Advance from the latest snapshot not after t. Two are kept, so callers that interleave exact
    // instants with the register image's refresh instants never fall back to integrating from origin.
    const candidates = [this.snapshot, this.previous, this.origin].filter(
      (x): x is RegisterSnapshot => !!x && x.t <= t,
    );
    const base = candidates.reduce((a, b) => (b.t > a.t ? b : a), this.origin);
    const next = advance(profile, this.options.anomalies ?? [], base, Math.max(t, this.origin.t));
    if (next.t !== this.snapshot?.t) {
      this.previous = this.snapshot;
      this.snapshot = next;
    }
    return next;
  }

  /** All values the meter knows at time t (default: now), keyed by OBIS code, in OBIS units. */
  values(t = this.clock.now()): Record<string, number> {
    const { model, profile } = this.s;
    const raw = this.registerAt(t);
    // An open relay cuts the supply: the register stops and no power flows until it closes.
    const reg = this.relayOpen
      ? { t, totalKwh: this.relayOpen.totalKwh, tariff1Kwh: this.relayOpen.tariff1Kwh }
      : { t, totalKwh: raw.totalKwh - this.skippedKwh, tariff1Kwh: raw.tariff1Kwh - this.skippedT1Kwh };
    const power = this.relayOpen ? 0 : effectivePower(profile, this.options.anomalies ?? [], t);
    const e = electricalAt(profile, model.phases, power, t);
    const out: Record<string, number> = {
      '1-0:1.8.0': reg.totalKwh,
      '1-0:1.8.1': reg.tariff1Kwh,
      '1-0:1.8.2': reg.totalKwh - reg.tariff1Kwh,
      '1-0:2.8.0': this.exportKwh,
      // Reactive energy of a household's mostly resistive load: about a quarter of the active energy.
      '1-0:3.8.0': reg.totalKwh * 0.25,
      '1-0:4.8.0': 0,
      '1-0:1.7.0': e.powerKw,
      '1-0:2.7.0': 0,
      '1-0:9.7.0': e.apparentKva,
      '1-0:3.7.0': e.reactiveKvar,
      '1-0:13.7.0': e.powerFactor,
      '1-0:14.7.0': e.frequency,
    };
    const codes = [
      ['1-0:32.7.0', '1-0:31.7.0', '1-0:21.7.0', '1-0:33.7.0'],
      ['1-0:52.7.0', '1-0:51.7.0', '1-0:41.7.0', '1-0:53.7.0'],
      ['1-0:72.7.0', '1-0:71.7.0', '1-0:61.7.0', '1-0:73.7.0'],
    ] as const;
    e.phases.forEach((p, i) => {
      const [v, c, w, pf] = codes[i]!;
      out[v] = p.voltage;
      out[c] = p.current;
      out[w] = p.powerKw;
      out[pf] = p.powerFactor;
    });
    out.relay = this.relayOpen ? 0 : 1;
    return out;
  }

  /**
   * Answer a read request the way the meter would: exception 1 for other functions, 3 for a
   * quantity outside 1..125, 2 outside the served blocks; unmapped registers inside a block read 0.
   */
  readRegisters(fn: number, address: number, quantity: number, t = this.clock.now()): RegisterRead {
    if (fn < 1 || fn > 4) return { ok: false, exception: ModbusException.ILLEGAL_FUNCTION };
    // §6.1/§6.2: coils and discrete inputs are read up to 2000 at a time.
    const max = fn <= 2 ? 2000 : MAX_READ_QUANTITY;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > max) {
      return { ok: false, exception: ModbusException.ILLEGAL_DATA_VALUE };
    }
    const block = this.s.blocks.find(
      (b) =>
        b.function === (fn as ReadFunction) &&
        address >= b.address &&
        address + quantity <= b.address + b.count,
    );
    if (!block) return { ok: false, exception: ModbusException.ILLEGAL_DATA_ADDRESS };
    const words = this.image(t).get(block)!;
    const from = address - block.address;
    return { ok: true, registers: Array.from(words.subarray(from, from + quantity)) };
  }

  /** Whether the supply is connected (relay closed). */
  get relayClosed(): boolean {
    return this.relayOpen === null;
  }

  /** Opens (false) or closes (true) the relay at simulated time t; consumption stops while open. */
  setRelay(closed: boolean, t = this.clock.now()): void {
    if (!closed && !this.relayOpen) {
      const v = this.values(t);
      this.relayOpen = { since: t, totalKwh: v['1-0:1.8.0']!, tariff1Kwh: v['1-0:1.8.1']! };
    } else if (closed && this.relayOpen) {
      const raw = this.registerAt(t);
      this.skippedKwh = raw.totalKwh - this.relayOpen.totalKwh;
      this.skippedT1Kwh = raw.tariff1Kwh - this.relayOpen.tariff1Kwh;
      this.relayOpen = null;
    }
    this.cachedImage = undefined;
  }

  /**
   * FC 5/6/15/16: write `words` (one 0/1 per coil for function 1) starting at `address`. Every
   * register written must belong to a writable field of the model, and a write must cover whole
   * fields; otherwise exception 2 (illegal data address), as a real meter refuses read-only registers.
   */
  writeRegisters(fn: 1 | 3, address: number, words: readonly number[], t = this.clock.now()): RegisterRead {
    const end = address + words.length;
    const hit = this.s.model.points.filter(
      (p) => p.function === fn && p.address < end && p.address + p.registers > address,
    );
    if (!hit.length || hit.some((p) => !p.writable || p.address < address || p.address + p.registers > end))
      return { ok: false, exception: ModbusException.ILLEGAL_DATA_ADDRESS };
    for (const p of hit) {
      const v = decodePoint(p, words.slice(p.address - address, p.address - address + p.registers));
      if (v === null) return { ok: false, exception: ModbusException.ILLEGAL_DATA_VALUE };
      if (p.key === 'relay') this.setRelay(v !== 0, t);
      else this.written.set(p.key, v);
    }
    this.cachedImage = undefined;
    return { ok: true, registers: [] };
  }

  /**
   * The register image, refreshed once per REFRESH_MS of simulated time as a real meter refreshes
   * its measurement registers (about once a second), so a fleet answering thousands of polls per
   * second encodes each meter's values once per refresh instead of once per request.
   */
  private image(t: number): Map<AddressBlock, Uint16Array> {
    const at = Math.floor(t / REFRESH_MS) * REFRESH_MS;
    if (this.cachedImage?.t === at) return this.cachedImage.blocks;
    const values: Record<string, number> = {
      ...Object.fromEntries(this.written),
      ...this.values(Math.max(at, this.origin?.t ?? at)),
    };
    const blocks = new Map<AddressBlock, Uint16Array>();
    for (const b of this.s.blocks) blocks.set(b, new Uint16Array(b.count));
    for (const p of this.s.model.points) {
      const block = this.s.blocks.find(
        (b) => b.function === p.function && p.address >= b.address && p.address < b.address + b.count,
      )!;
      const words = encodeSafely(p, values[p.key] ?? 0);
      const image = blocks.get(block)!;
      const at = p.address - block.address;
      // Bit fields of one register are ORed into it.
      if (p.bit !== undefined) image[at]! |= words[0]!;
      else image.set(words, at);
    }
    this.cachedImage = { t: at, blocks };
    return blocks;
  }
}

/** A value the register type cannot hold (e.g. after a huge rollback) reads "not available" or 0, never crashes a server. */
function encodeSafely(p: RegisterPoint, v: number): number[] {
  try {
    return encodePoint(p, Math.abs(v) < 1e-12 ? 0 : v);
  } catch {
    return p.notAvailable === 'max' ? encodePoint(p, null) : encodePoint(p, 0);
  }
}

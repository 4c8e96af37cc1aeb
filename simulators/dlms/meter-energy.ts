import { electricalAt } from '../model/electrical.js';
import { LoadProfile, SLOT_MS, type ProfileKind } from '../model/load-profile.js';
import type { Clock } from '../model/clock.js';

/**
 * The energy of one simulated DLMS meter: the project's load model (LoadProfile) integrated from a
 * year before the simulation start, with the disconnect control's off periods removed, so the load
 * profile, the energy register and the instantaneous power always agree and a disconnected meter
 * really stops counting.
 */
export const YEAR_SLOTS = 35_040;

export interface MeterEnergyOptions {
  readonly id: string;
  readonly seed: string | number;
  readonly profile?: ProfileKind;
  readonly clock: Clock;
  /** Start of the simulation (ms); the history reaches one year before it. */
  readonly start: number;
}

export class MeterEnergy {
  readonly profile: LoadProfile;
  /** First slot of the history (slot = 15-minute index since the epoch). */
  readonly firstSlot: number;
  /** Import register (kWh) at the first slot. */
  private readonly baseKwh: number;
  /** cumulative[i]: import register (kWh) at the start of slot firstSlot + i. */
  private cumulative = new Float64Array(YEAR_SLOTS + 96);
  private known = 1;
  /** Disconnected intervals [from, to) in ms; `to` undefined while disconnected. */
  private readonly off: { from: number; to?: number }[] = [];

  constructor(private readonly o: MeterEnergyOptions) {
    this.profile = new LoadProfile({ kind: o.profile ?? 'household', seed: o.seed, meterId: o.id });
    this.firstSlot = Math.floor(o.start / SLOT_MS) - YEAR_SLOTS;
    this.baseKwh = Math.round(this.profile.annualKwh * (1 + 4 * this.profile.draw(0x200)));
    this.cumulative[0] = this.baseKwh;
  }

  get connected(): boolean {
    const last = this.off[this.off.length - 1];
    return !last || last.to !== undefined;
  }

  disconnect(at = this.o.clock.now()): void {
    if (!this.connected) return;
    this.extend(Math.floor(at / SLOT_MS));
    this.off.push({ from: at });
    this.invalidateFrom(at);
  }

  reconnect(at = this.o.clock.now()): void {
    if (this.connected) return;
    this.extend(Math.floor(at / SLOT_MS));
    this.off[this.off.length - 1]!.to = at;
    this.invalidateFrom(at);
  }

  private invalidateFrom(at: number): void {
    const i = Math.floor(at / SLOT_MS) - this.firstSlot + 1;
    if (i < this.known) this.known = Math.max(1, i);
  }

  /** Energy (kWh) consumed in [a, b), minus the disconnected parts. */
  private energy(a: number, b: number): number {
    let total = this.profile.energyBetween(a, b).total;
    for (const p of this.off) {
      const s = Math.max(a, p.from);
      const e = Math.min(b, p.to ?? Infinity);
      if (e > s) total -= this.profile.energyBetween(s, e).total;
    }
    return total;
  }

  private extend(slot: number): void {
    const i = slot - this.firstSlot;
    if (i >= this.cumulative.length) {
      const next = new Float64Array(Math.max(i + 96, this.cumulative.length * 2));
      next.set(this.cumulative.subarray(0, this.known));
      this.cumulative = next;
    }
    for (let k = this.known; k <= i; k++) {
      const t = (this.firstSlot + k - 1) * SLOT_MS;
      this.cumulative[k] = this.cumulative[k - 1]! + this.energy(t, t + SLOT_MS);
    }
    if (i + 1 > this.known) this.known = i + 1;
  }

  /** Import register (kWh) at t (not before the history's start). */
  importKwh(t = this.o.clock.now()): number {
    const slot = Math.max(this.firstSlot, Math.floor(t / SLOT_MS));
    this.extend(slot);
    const base = this.cumulative[slot - this.firstSlot]!;
    const s = slot * SLOT_MS;
    return t > s ? base + this.energy(s, t) : base;
  }

  /** Register at the start of slot `slot` (the load profile's capture instants). */
  importKwhAtSlot(slot: number): number {
    this.extend(slot);
    return this.cumulative[Math.max(0, slot - this.firstSlot)]!;
  }

  powerKw(t = this.o.clock.now()): number {
    if (!this.connected) return 0;
    return this.profile.powerAt(t);
  }

  voltage(t = this.o.clock.now()): number {
    return electricalAt(this.profile, 1, this.powerKw(t), t).phases[0]!.voltage;
  }

  current(t = this.o.clock.now()): number {
    return electricalAt(this.profile, 1, this.powerKw(t), t).phases[0]!.current;
  }

  /** Whether the meter was disconnected at any point of slot `slot`'s interval (profile status bit). */
  offDuring(slot: number): boolean {
    const a = (slot - 1) * SLOT_MS;
    const b = slot * SLOT_MS;
    return this.off.some((p) => p.from < b && (p.to ?? Infinity) > a);
  }
}

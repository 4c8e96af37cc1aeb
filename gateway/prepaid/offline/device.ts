import { generateCreditToken, hexToBytes, TID_MAX, tidFromTime } from '../../../token-engine/index.js';
import type { RecoveryPolicy } from '../../billing/index.js';
import { positionAfter, priceInMonth } from '../vending/month-pricing.js';
import type { OfflineAllowance, OfflineMeterMaterial, OfflineVend } from './offline.js';

const NO_RECOVERY: RecoveryPolicy = { mode: 'full' };

/**
 * The device's security module: it takes the decoder keys once and afterwards only mints tokens.
 * Nothing reads a key back. Synchronous in Node (`memorySecurityModule`); in the vending console
 * (PWA) asynchronous, on WebCrypto: each decoder key sealed (AES-GCM) under a non-extractable
 * device key kept in IndexedDB, unsealed into memory only to mint (dashboards/web/agent/
 * sealed-keys.js; THREAT-MODEL.md beside this file).
 */
export interface OfflineSecurityModule {
  load(meters: OfflineMeterMaterial[]): void | Promise<void>;
  mintCredit(meterId: string, units: number, tid: number): string | Promise<string>;
  /** Forget every key (allowance closed or expired, device reported lost). */
  wipe(): void | Promise<void>;
}

/** A random number below `bound` (the token's 4-bit RND): injectable so tests can fix it. */
export type RandomBelow = (bound: number) => number;

/**
 * WebCrypto's generator, present in Node and in every browser (no `node:crypto`, so the same
 * code runs in the console's bundle). Rejection sampling keeps the draw uniform.
 */
export const cryptoRandomBelow: RandomBelow = (bound) => {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  const out = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(out);
    if (out[0]! < limit) return out[0]! % bound;
  }
};

const SUBCLASS = { electricity: 0, water: 1, gas: 2 } as const;

/** What minting needs about a meter besides its key. */
export type MintProfile = Pick<OfflineMeterMaterial, 'ken' | 'supply'>;

/**
 * Mint one STS EA11 credit token with a decoder key held by a security module: the one minting
 * step of every module (Node's memory one, the console's sealed one).
 */
export function mintCreditWithKey(
  decoderKey: Uint8Array,
  meter: MintProfile,
  units: number,
  tid: number,
  random: RandomBelow = cryptoRandomBelow,
): string {
  return generateCreditToken({
    decoderKey,
    ea: '11',
    subclass: SUBCLASS[meter.supply],
    units,
    tid,
    rnd: random(16),
    ken: meter.ken,
  });
}

/** The Node implementation (tests, bench, a field laptop): keys only in this closure. */
export function memorySecurityModule(random: RandomBelow = cryptoRandomBelow): OfflineSecurityModule {
  const keys = new Map<string, { key: Uint8Array; profile: MintProfile }>();
  return {
    load(meters) {
      for (const m of meters) {
        keys.set(m.meterId, { key: hexToBytes(m.decoderKey), profile: { ken: m.ken, supply: m.supply } });
      }
    },
    mintCredit(meterId, units, tid) {
      const k = keys.get(meterId);
      if (!k) throw new Error(`meter ${meterId} is not provisioned on this device`);
      return mintCreditWithKey(k.key, k.profile, units, tid, random);
    },
    wipe() {
      for (const k of keys.values()) k.key.fill(0);
      keys.clear();
    },
  };
}

/** A provisioned meter as the device keeps it: the selling data, never the key, and its last TID. */
export type DeviceMeter = Omit<OfflineMeterMaterial, 'decoderKey'> & { tid: number };

/**
 * Everything the device knows between two sales, without a single key (those are in the security
 * module): what the console keeps in IndexedDB to go on selling after a reload with no network.
 */
export interface DeviceState {
  deviceId: string;
  allowance: Omit<OfflineAllowance, 'meters'>;
  meters: DeviceMeter[];
  spentCents: number;
  seq: number;
  pending: OfflineVend[];
}

/** What a sale is before its token: the checks passed, the price and the TID decided. */
interface PreparedSale {
  meter: DeviceMeter;
  cents: number;
  tenths: number;
  fixedCents: number;
  tid: number;
  now: Date;
}

/**
 * A mobile recharge agent's device selling without network: bounded by the allowance it was given
 * (it refuses a sale past it), TIDs strictly increasing per meter and later than the centre's,
 * every sale numbered (seq) and kept until the centre has reconciled it.
 */
export class OfflineVendingDevice {
  readonly deviceId: string;
  private allowance: Omit<OfflineAllowance, 'meters'> | undefined;
  private readonly module: OfflineSecurityModule;
  private readonly meters = new Map<string, DeviceMeter>();
  private spentCents = 0;
  private seq = 0;
  /** Sales not yet acknowledged by the centre. */
  readonly pending: OfflineVend[] = [];
  /** The console's sales run one after another (a double tap must not reuse a TID or the block). */
  private selling: Promise<unknown> = Promise.resolve();

  constructor(deviceId: string, module: OfflineSecurityModule = memorySecurityModule()) {
    this.deviceId = deviceId;
    this.module = module;
  }

  /** Take an allowance: the keys go to the security module (awaited when it is asynchronous). */
  provision(a: OfflineAllowance): void | Promise<void> {
    const { meters, ...allowance } = a;
    this.allowance = allowance;
    const loading = this.module.load(meters);
    this.meters.clear();
    for (const { decoderKey: _key, ...m } of meters)
      this.meters.set(m.meterId, { ...m, tid: m.lastTid ?? -1 });
    // The sequence goes on across allowances: (device, seq) names a sale for ever.
    this.spentCents = 0;
    return loading;
  }

  /** The state to keep (no key in it), and the device rebuilt from it over the same sealed keys. */
  snapshot(): DeviceState {
    if (!this.allowance) throw new Error('device not provisioned');
    return structuredClone({
      deviceId: this.deviceId,
      allowance: this.allowance,
      meters: [...this.meters.values()],
      spentCents: this.spentCents,
      seq: this.seq,
      pending: this.pending,
    });
  }

  static restore(state: DeviceState, module: OfflineSecurityModule): OfflineVendingDevice {
    const d = new OfflineVendingDevice(state.deviceId, module);
    const s = structuredClone(state);
    d.allowance = s.allowance;
    for (const m of s.meters) d.meters.set(m.meterId, m);
    d.spentCents = s.spentCents;
    d.seq = s.seq;
    d.pending.push(...s.pending);
    return d;
  }

  get remaining(): number {
    return ((this.allowance ? Math.round(this.allowance.amount * 100) : 0) - this.spentCents) / 100;
  }

  /** Sell offline with a synchronous module; refuses an unknown meter or a sale past the allowance. */
  sell(meterId: string, amount: number, now: Date): OfflineVend {
    const sale = this.prepare(meterId, amount, now);
    const token = this.module.mintCredit(meterId, sale.tenths / 10, sale.tid);
    if (typeof token !== 'string') throw new Error('asynchronous security module: use sellAsync');
    return this.commit(sale, token);
  }

  /** The same sale with an asynchronous module (the console's sealed keys); one sale at a time. */
  sellAsync(meterId: string, amount: number, now: Date): Promise<OfflineVend> {
    const run = this.selling.then(async () => {
      const sale = this.prepare(meterId, amount, now);
      return this.commit(sale, await this.module.mintCredit(meterId, sale.tenths / 10, sale.tid));
    });
    this.selling = run.catch(() => undefined);
    return run;
  }

  private prepare(meterId: string, amount: number, now: Date): PreparedSale {
    const m = this.meters.get(meterId);
    if (!this.allowance || !m) throw new Error(`meter ${meterId} is not provisioned on this device`);
    if (now.getTime() > Date.parse(this.allowance.expiresAt)) throw new Error('allowance expired');
    const c = Math.round(amount * 100);
    if (!(c > 0)) throw new Error('amount must be positive');
    if (c > Math.round(this.allowance.amount * 100) - this.spentCents)
      throw new Error('offline allowance exhausted');
    // Priced as the centre prices an online sale (tariff blocks from this month's position, fixed
    // charge still due, tax; integer centimes and tenths), without debt recovery.
    const b = priceInMonth(
      { definition: m.tariff, position: m.position, debtCents: 0, policy: NO_RECOVERY, social: m.social },
      now,
      { moneyCents: c },
    );
    if (b.energy.tenths < 1) throw new Error('amount buys no units');
    const tid = Math.max(tidFromTime(now, m.baseDate), m.tid + 1);
    if (tid > TID_MAX) throw new Error('TID range exhausted');
    return { meter: m, cents: c, tenths: b.energy.tenths, fixedCents: b.fixedCents, tid, now };
  }

  /** The token is minted: the TID, the month position, the block and the counter move on. */
  private commit(s: PreparedSale, token: string): OfflineVend {
    s.meter.tid = s.tid;
    s.meter.position = positionAfter(s.meter.position, s.now, s.tenths, s.fixedCents);
    this.spentCents += s.cents;
    const v: OfflineVend = {
      seq: ++this.seq,
      meterId: s.meter.meterId,
      amount: s.cents / 100,
      units: s.tenths / 10,
      tid: s.tid,
      token,
      soldAt: s.now.toISOString(),
    };
    this.pending.push(v);
    return v;
  }

  /** Acknowledged sales leave the pending list (duplicates included: the centre has them). */
  acknowledge(seqs: number[]): void {
    const done = new Set(seqs);
    for (let i = this.pending.length - 1; i >= 0; i--)
      if (done.has(this.pending[i]!.seq)) this.pending.splice(i, 1);
  }
}

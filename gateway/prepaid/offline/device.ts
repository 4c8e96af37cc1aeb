import { randomInt } from 'node:crypto';
import { generateCreditToken, hexToBytes, TID_MAX, tidFromTime } from '../../../token-engine/index.js';
import type { RecoveryPolicy } from '../../billing/index.js';
import { positionAfter, priceInMonth } from '../vending/month-pricing.js';
import type { OfflineAllowance, OfflineMeterMaterial, OfflineVend } from './offline.js';

const NO_RECOVERY: RecoveryPolicy = { mode: 'full' };

/**
 * The device's security module: it takes the decoder keys once and afterwards only mints tokens.
 * Nothing reads a key back. In the vending console (PWA) the same interface sits on WebCrypto:
 * keys imported as non-extractable CryptoKeys wrapped under a device key kept in IndexedDB, never
 * in clear in localStorage (THREAT-MODEL.md beside this file).
 */
export interface OfflineSecurityModule {
  load(meters: OfflineMeterMaterial[]): void;
  mintCredit(meterId: string, units: number, tid: number): string;
  /** Forget every key (allowance closed or expired, device reported lost). */
  wipe(): void;
}

/** The Node implementation (tests, bench, a field laptop): keys only in this closure. */
export function memorySecurityModule(): OfflineSecurityModule {
  const keys = new Map<string, { key: Uint8Array; ken: number; subclass: 0 | 1 | 2 }>();
  return {
    load(meters) {
      for (const m of meters) {
        keys.set(m.meterId, {
          key: hexToBytes(m.decoderKey),
          ken: m.ken,
          subclass: ({ electricity: 0, water: 1, gas: 2 } as const)[m.supply],
        });
      }
    },
    mintCredit(meterId, units, tid) {
      const k = keys.get(meterId);
      if (!k) throw new Error(`meter ${meterId} is not provisioned on this device`);
      return generateCreditToken({
        decoderKey: k.key,
        ea: '11',
        subclass: k.subclass,
        units,
        tid,
        rnd: randomInt(16),
        ken: k.ken,
      });
    },
    wipe() {
      for (const k of keys.values()) k.key.fill(0);
      keys.clear();
    },
  };
}

/**
 * A mobile recharge agent's device selling without network: bounded by the allowance it was given
 * (it refuses a sale past it), TIDs strictly increasing per meter and later than the centre's,
 * every sale numbered (seq) and kept until the centre has reconciled it.
 */
export class OfflineVendingDevice {
  readonly deviceId: string;
  private allowance: OfflineAllowance | undefined;
  private readonly module: OfflineSecurityModule;
  private readonly meters = new Map<string, OfflineMeterMaterial & { tid: number }>();
  private spentCents = 0;
  private seq = 0;
  /** Sales not yet acknowledged by the centre. */
  readonly pending: OfflineVend[] = [];

  constructor(deviceId: string, module: OfflineSecurityModule = memorySecurityModule()) {
    this.deviceId = deviceId;
    this.module = module;
  }

  provision(a: OfflineAllowance): void {
    this.allowance = a;
    this.module.load(a.meters);
    for (const m of a.meters) this.meters.set(m.meterId, { ...m, tid: m.lastTid ?? -1 });
    this.spentCents = 0;
  }

  get remaining(): number {
    return ((this.allowance ? Math.round(this.allowance.amount * 100) : 0) - this.spentCents) / 100;
  }

  /** Sell offline; refuses an unknown meter or a sale past the allowance. */
  sell(meterId: string, amount: number, now: Date): OfflineVend {
    const m = this.meters.get(meterId);
    if (!this.allowance || !m) throw new Error(`meter ${meterId} is not provisioned on this device`);
    if (now.getTime() > Date.parse(this.allowance.expiresAt)) throw new Error('allowance expired');
    const c = Math.round(amount * 100);
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
    const units = b.energy.tenths / 10;
    const tid = Math.max(tidFromTime(now, m.baseDate), m.tid + 1);
    if (tid > TID_MAX) throw new Error('TID range exhausted');
    m.tid = tid;
    const token = this.module.mintCredit(meterId, units, tid);
    m.position = positionAfter(m.position, now, b.energy.tenths, b.fixedCents);
    this.spentCents += c;
    const v: OfflineVend = {
      seq: ++this.seq,
      meterId,
      amount: c / 100,
      units,
      tid,
      token,
      soldAt: now.toISOString(),
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

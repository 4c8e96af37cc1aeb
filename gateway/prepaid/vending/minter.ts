import {
  deriveDecoderKey,
  generateCreditToken,
  generateKeyChangeTokens,
  generateManagementToken,
  loadStaTables,
  bytesToHex,
  encodeOpenPaygoToken,
  type MeterKey,
  type OpenPaygoTokenType,
  type StaTables,
} from '../../../token-engine/index.js';
import type { SqlExecutor } from '../../platform/index.js';
import type { KeyVault } from '../../platform/index.js';
import type { MeterRow } from '../ledger/registry.js';
import { LedgerError } from '../ledger/errors.js';

export interface CipherContext {
  decoderKey: Uint8Array;
  ea: '07' | '11';
  staTables?: StaTables;
}

const SUBCLASS = { electricity: 0, water: 1, gas: 2 } as const;

/**
 * Turns a locked meter row into tokens. Decoder keys are derived from the sealed vending key on
 * first use and cached in memory (keyed by every field that enters the derivation), so the vault
 * is opened once per meter key, not once per vend. Errors never include key bytes.
 */
export class TokenMinter {
  private readonly vault: KeyVault;
  private readonly cache = new Map<string, CipherContext>();
  private readonly staCache = new Map<string, StaTables>();

  constructor(vault: KeyVault) {
    this.vault = vault;
  }

  private async staTables(tx: SqlExecutor, ref: string): Promise<StaTables> {
    let t = this.staCache.get(ref);
    if (!t) {
      const bytes = await this.vault.open(tx, ref, 'sta-tables');
      t = loadStaTables(Buffer.from(bytes).toString('utf8'));
      this.staCache.set(ref, t);
    }
    return t;
  }

  async meterKey(
    tx: SqlExecutor,
    m: Pick<MeterRow, 'dkga' | 'ea' | 'key_ref' | 'sgc' | 'ti' | 'krn' | 'kt' | 'ken' | 'base_date' | 'pan'>,
  ): Promise<MeterKey> {
    const vk = await this.vault.open(tx, m.key_ref, 'vending-key');
    return {
      dkga: m.dkga,
      ea: m.ea,
      vendingKey: bytesToHex(vk),
      sgc: m.sgc,
      ti: m.ti,
      krn: m.krn,
      kt: m.kt,
      ken: m.ken,
      baseDate: m.base_date,
      pan: m.pan,
    };
  }

  async cipherFor(tx: SqlExecutor, m: MeterRow): Promise<CipherContext> {
    // Every STS token goes through here: an OpenPAYGO device has no STS key and no STS operations.
    if (m.token_scheme === 'openpaygo') {
      throw new LedgerError('MG_ERR_VEND_SCHEME', { params: { meterId: m.id, scheme: 'openpaygo' } });
    }
    const cacheKey = [
      m.id,
      m.key_ref,
      m.sta_ref,
      m.dkga,
      m.ea,
      m.sgc,
      m.ti,
      m.krn,
      m.kt,
      m.ken,
      m.base_date,
      m.pan,
    ].join('|');
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    try {
      const key = await this.meterKey(tx, m);
      const ctx: CipherContext = { decoderKey: deriveDecoderKey(key), ea: m.ea };
      if (m.ea === '07') {
        if (!m.sta_ref) throw new Error('EA07 meter without STA tables');
        ctx.staTables = await this.staTables(tx, m.sta_ref);
      }
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(cacheKey, ctx);
      return ctx;
    } catch (err) {
      // The cause may quote fields; report only the meter and the failing step's code.
      const code = (err as { code?: string }).code ?? 'error';
      throw new LedgerError('MG_ERR_VEND_KEY_UNAVAILABLE', {
        params: { meterId: m.id },
        details: { reason: `meter ${m.id}: decoder key unavailable (${code})` },
      });
    }
  }

  /**
   * An OpenPAYGO ADD_TIME token for `days` from the device's counter (the caller stores newCount).
   */
  async openPaygoAddTime(
    tx: SqlExecutor,
    m: MeterRow,
    days: number,
  ): Promise<{ token: string; newCount: number }> {
    return this.openPaygo(tx, m, 'ADD_TIME', days * m.opaygo!.timeDivider);
  }

  /**
   * Any OpenPAYGO token (ADD_TIME / SET_TIME with a raw value = days × time divider; DISABLE_PAYG
   * and COUNTER_SYNC without one) from the device's counter; the caller stores newCount. The
   * secret key is opened from the vault for this token only, never cached in clear.
   */
  async openPaygo(
    tx: SqlExecutor,
    m: MeterRow,
    type: OpenPaygoTokenType,
    value: number | null,
  ): Promise<{ token: string; newCount: number }> {
    const o = m.opaygo!;
    let key: Uint8Array;
    try {
      key = await this.vault.open(tx, m.key_ref, 'vending-key');
    } catch (err) {
      throw new LedgerError('MG_ERR_VEND_KEY_UNAVAILABLE', {
        params: { meterId: m.id },
        details: {
          reason: `device ${m.id}: key unavailable (${(err as { code?: string }).code ?? 'error'})`,
        },
      });
    }
    try {
      return encodeOpenPaygoToken({
        key: bytesToHex(key),
        startingCode: o.startingCode,
        count: o.count,
        type,
        value,
        restrictedDigitSet: o.restrictedDigitSet,
      });
    } finally {
      key.fill(0);
    }
  }

  credit(c: CipherContext, m: MeterRow, units: number, tid: number, rnd: number): string {
    return generateCreditToken({ ...c, subclass: SUBCLASS[m.supply], units, tid, rnd, ken: m.ken });
  }

  management(
    c: CipherContext,
    m: MeterRow,
    subclass: 0 | 1 | 5,
    value: number,
    tid: number,
    rnd: number,
  ): string {
    return generateManagementToken({ ...c, subclass, value, tid, rnd, ken: m.ken });
  }

  keyChange(
    current: CipherContext,
    next: {
      decoderKey: Uint8Array;
      ken: number;
      krn: number;
      ti: number;
      kt: number;
      ro: 0 | 1;
      sgc: string;
    },
  ): string[] {
    return generateKeyChangeTokens({
      currentDecoderKey: current.decoderKey,
      ea: current.ea,
      staTables: current.staTables,
      newDecoderKey: next.decoderKey,
      ken: next.ken,
      krn: next.krn,
      ti: next.ti,
      kt: next.kt,
      ro: next.ro,
      sgc: next.sgc,
    });
  }
}

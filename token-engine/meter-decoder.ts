import { prepareCipher, type PreparedCipher } from './cipher.js';
import { decodeWithCipher } from './decoder.js';
import { deriveDecoderKey } from './derive.js';
import { TokenEngineError } from './errors.js';
import {
  assembleKeyChange,
  collectKeyChangeSection,
  defaultKeyChangeWindow,
  KT_DITK,
  requiredKeyChangeSubclasses,
} from './key-change-assembly.js';
import { bytesToHex, hexToBytes } from './key-fields.js';
import type { KeyChangeSection } from './token-classes/key-change.js';
import { BASE_DATES, type BaseDate, type Ea, type StaTables } from './types.js';

import {
  REGISTERS,
  type MeterDecoderOptions,
  type MeterDecoderSnapshot,
  type MeterEntryResult,
  type MeterRegister,
  type MeterRejectReason,
} from './meter-decoder-types.js';

export * from './meter-decoder-types.js';

export const MIN_TID_MEMORY = 50;
const KT_DDTK = 1;

/**
 * Meter-side token acceptance (IEC 62055-41 §8 meter application process, as summarised in
 * STS.md "Meter-side rules"): credit registers, TID memory, reason codes, lockout, key change
 * applied only once all its sections arrived. Used by the simulators and tests. Pure: `now` is
 * an argument; persistence goes through snapshot()/restore().
 */
export class MeterDecoder {
  private readonly opts: Required<
    Pick<
      MeterDecoderOptions,
      | 'tidMemory'
      | 'lockoutAfter'
      | 'lockoutMinutes'
      | 'creditLimit'
      | 'rolloverAdvancesBaseDate'
      | 'keyChangeWindow'
    >
  > & {
    staTables?: StaTables;
  };
  private state: MeterDecoderSnapshot;
  private cipher: PreparedCipher | null = null;

  constructor(options: MeterDecoderOptions) {
    const key = options.meterKey;
    const decoderKey = key ? deriveDecoderKey(key) : options.decoderKey;
    const ea = key?.ea ?? options.ea;
    if (!decoderKey || !ea)
      throw new TokenEngineError('MG_ERR_TOKEN_KEY_FIELD', 'MeterDecoder needs meterKey or decoderKey + ea');
    // Fail at construction (wrong key length, EA07 without tables), not on the first keypad entry.
    prepareCipher({ decoderKey, ea, staTables: options.staTables });
    this.opts = {
      tidMemory: Math.max(MIN_TID_MEMORY, options.tidMemory ?? MIN_TID_MEMORY),
      lockoutAfter: options.lockoutAfter ?? 5,
      lockoutMinutes: options.lockoutMinutes ?? 15,
      creditLimit: options.creditLimit ?? 10_000_000,
      rolloverAdvancesBaseDate: options.rolloverAdvancesBaseDate ?? true,
      keyChangeWindow: Math.max(
        requiredKeyChangeSubclasses(ea).length,
        options.keyChangeWindow ?? defaultKeyChangeWindow(ea),
      ),
      staTables: options.staTables,
    };
    this.state = {
      version: 1,
      decoderKeyHex: bytesToHex(decoderKey),
      ea,
      baseDate: key?.baseDate ?? options.baseDate ?? 2014,
      ken: key?.ken ?? options.ken ?? 255,
      ti: key?.ti ?? options.ti ?? 0,
      krn: key?.krn ?? options.krn ?? 1,
      kt: key?.kt ?? options.kt ?? 2,
      sgc: key?.sgc ?? options.sgc,
      tids: [],
      registers: { electricity: 0, water: 0, gas: 0 },
      maxPower: null,
      phaseUnbalance: null,
      waterFactor: null,
      tamper: false,
      failures: 0,
      lockedUntil: null,
      pending: {},
      validEntries: 0,
      pendingSince: null,
    };
  }

  /** Electricity credit in kWh (the main register). */
  get credit(): number {
    return this.state.registers.electricity;
  }
  get registers(): Readonly<Record<MeterRegister, number>> {
    return { ...this.state.registers };
  }
  get maxPower(): number | null {
    return this.state.maxPower;
  }
  get phaseUnbalance(): number | null {
    return this.state.phaseUnbalance;
  }
  get waterFactor(): number | null {
    return this.state.waterFactor;
  }
  get tamper(): boolean {
    return this.state.tamper;
  }
  get baseDate(): BaseDate {
    return this.state.baseDate;
  }
  get keyInfo(): {
    ea: Ea;
    ken: number;
    krn: number;
    kt: number;
    ti: number;
    sgc?: string;
    baseDate: BaseDate;
  } {
    const { ea, ken, krn, kt, ti, sgc, baseDate } = this.state;
    return { ea, ken, krn, kt, ti, sgc, baseDate };
  }
  /** Remembered TIDs, oldest first. */
  get tidMemory(): readonly number[] {
    return [...this.state.tids];
  }

  /** Tamper detected by the meter (cleared by a class 2/5 token). */
  setTamper(on = true): void {
    this.state.tamper = on;
  }

  /** Draw `units` from a register; returns what was actually available and drawn. */
  consume(units: number, register: MeterRegister = 'electricity'): number {
    if (!Number.isFinite(units) || units < 0)
      throw new TokenEngineError('MG_ERR_TOKEN_FIELD_RANGE', 'units must be ≥ 0');
    const drawn = Math.min(units, this.state.registers[register]);
    this.state.registers[register] -= drawn;
    return drawn;
  }

  snapshot(): MeterDecoderSnapshot {
    return structuredClone(this.state);
  }

  restore(snapshot: MeterDecoderSnapshot): void {
    if (snapshot?.version !== 1 || !/^[0-9a-f]{16}([0-9a-f]{16})?$/.test(snapshot.decoderKeyHex)) {
      throw new TokenEngineError('MG_ERR_TOKEN_REQUEST', 'not a MeterDecoder snapshot (version 1)');
    }
    this.state = structuredClone(snapshot);
    this.state.validEntries ??= 0;
    this.state.pendingSince ??= Object.keys(this.state.pending).length > 0 ? 0 : null;
    this.cipher = null;
  }

  /** Enter a token on the keypad at time `now`. Never throws on the token string. */
  enter(token: string, now: Date): MeterEntryResult {
    const t = now.getTime();
    if (this.state.lockedUntil !== null) {
      if (t < this.state.lockedUntil) return reject('Lockout', 'too many bad entries, keypad locked');
      this.state.lockedUntil = null;
      this.state.failures = 0;
    }
    const result = this.decide(token, t);
    // Issue 21.5: the count is cleared by an accepted token only. Clearing it at the CRC check let
    // a replayed Used token (or a self-made class 1 test token) reset it between guesses.
    if (result.ok && result.kind !== 'test') this.state.failures = 0;
    return result;
  }

  private decide(token: string, t: number): MeterEntryResult {
    const d = decodeWithCipher(token, this.getCipher());
    if (!d.ok) return this.fail(t, 'Format', d.message);
    if (!d.crcOk) return this.fail(t, 'CRC', 'CRC mismatch (mistyped token or another meter’s token)');
    const { cls, subclass } = d;
    if (cls !== 1) this.state.validEntries = (this.state.validEntries ?? 0) + 1;
    if (cls === 1) {
      if (!d.test) return reject('Function', `class 1 subclass ${subclass} is not supported`);
      return { ok: true, kind: 'test', cls, subclass, mfrCode: d.test.mfrCode, control: d.test.control };
    }
    if (cls === 3) return reject('Function', 'class 3 is reserved');
    if (d.keyChange) return this.keyChangeSection(d.keyChange, subclass);
    if (this.state.kt === KT_DITK)
      return reject('KeyType', 'an initialisation key (KT 0) accepts only key change tokens');
    const tid = d.tid!;
    if (tid >>> 16 > this.state.ken)
      return reject('KeyExpired', `token TID is past the key expiry number ${this.state.ken}`);
    const field = d.field!;
    if (cls === 0) {
      if (subclass > 2) return reject('Function', `credit subclass ${subclass} is not supported`);
      if (this.state.kt === KT_DDTK) return reject('DDTK', 'no credit on a default key (DDTK)');
      const tidCheck = this.checkTid(tid);
      if (tidCheck) return tidCheck;
      const register = REGISTERS[subclass]!;
      const units = d.amount!;
      if (this.state.registers[register] + units > this.opts.creditLimit) {
        return reject('Overflow', `the ${register} register would exceed ${this.opts.creditLimit}`);
      }
      this.state.registers[register] = round1(this.state.registers[register] + units);
      this.remember(tid);
      return { ok: true, kind: 'credit', cls, subclass, tid, units, register };
    }
    // class 2 management
    let result: MeterEntryResult;
    switch (subclass) {
      case 0:
        result = { ok: true, kind: 'maxPower', cls, subclass, tid, value: d.value! };
        break;
      case 1:
        if (field !== 0xffff && field > 2)
          return reject('Range', `clear credit register ${field} does not exist`);
        result = {
          ok: true,
          kind: 'clearCredit',
          cls,
          subclass,
          tid,
          register: field === 0xffff ? 'all' : REGISTERS[field]!,
        };
        break;
      case 5:
        result = { ok: true, kind: 'clearTamper', cls, subclass, tid };
        break;
      case 6:
        result = { ok: true, kind: 'phaseUnbalance', cls, subclass, tid, value: d.value! };
        break;
      case 7:
        if (field === 0) return reject('Range', 'water meter factor 0 is not allowed');
        result = { ok: true, kind: 'waterFactor', cls, subclass, tid, value: field };
        break;
      default:
        return reject('Function', `management subclass ${subclass} is not supported by this meter`);
    }
    const tidCheck = this.checkTid(tid);
    if (tidCheck) return tidCheck;
    this.remember(tid);
    if (result.kind === 'maxPower') this.state.maxPower = result.value!;
    if (result.kind === 'phaseUnbalance') this.state.phaseUnbalance = result.value!;
    if (result.kind === 'waterFactor') this.state.waterFactor = result.value!;
    if (result.kind === 'clearTamper') this.state.tamper = false;
    if (result.kind === 'clearCredit') {
      for (const r of REGISTERS)
        if (result.register === 'all' || result.register === r) this.state.registers[r] = 0;
    }
    return result;
  }

  private getCipher(): PreparedCipher {
    this.cipher ??= prepareCipher({
      decoderKey: hexToBytes(this.state.decoderKeyHex),
      ea: this.state.ea,
      staTables: this.opts.staTables,
    });
    return this.cipher;
  }

  private fail(t: number, reason: 'Format' | 'CRC', message: string): MeterEntryResult {
    this.state.failures++;
    if (this.state.failures >= this.opts.lockoutAfter)
      this.state.lockedUntil = t + this.opts.lockoutMinutes * 60_000;
    return reject(reason, message);
  }

  /** Used: TID remembered. Old: memory full and TID older than the oldest remembered. */
  private checkTid(tid: number): MeterEntryResult | null {
    const tids = this.state.tids;
    if (tids.includes(tid)) return reject('Used', 'this token was already used');
    if (tids.length >= this.opts.tidMemory && tid < tids[0]!)
      return reject('Old', 'token is older than the oldest remembered token');
    return null;
  }

  private remember(tid: number): void {
    const tids = this.state.tids;
    let i = tids.length;
    while (i > 0 && tids[i - 1]! > tid) i--;
    tids.splice(i, 0, tid);
    while (tids.length > this.opts.tidMemory) tids.shift();
  }

  private keyChangeSection(section: KeyChangeSection, subclass: number): MeterEntryResult {
    const required = requiredKeyChangeSubclasses(this.state.ea);
    if (!required.includes(subclass)) {
      return reject('Function', `key change section ${section.section} does not apply to a 64-bit key`);
    }
    const hasPending = Object.keys(this.state.pending).length > 0;
    const outcome = collectKeyChangeSection(
      hasPending ? { sections: this.state.pending, since: this.state.pendingSince ?? 0 } : null,
      section,
      subclass,
      { ea: this.state.ea, entry: this.state.validEntries ?? 0, window: this.opts.keyChangeWindow },
    );
    if (outcome.kind === 'reject') {
      this.state.pending = outcome.pending?.sections ?? {};
      this.state.pendingSince = outcome.pending?.since ?? null;
      return reject(outcome.reason, outcome.message);
    }
    if (outcome.kind === 'pending') {
      this.state.pending = outcome.pending.sections;
      this.state.pendingSince = outcome.pending.since;
      return { ok: true, kind: 'keyChangeSection', cls: 2, subclass, missingSections: outcome.missing };
    }
    this.state.pending = {};
    this.state.pendingSince = null;
    const next = assembleKeyChange(outcome.sections, this.state.ea);
    if (!next.ok) return reject(next.reason, next.message);
    this.state.decoderKeyHex = bytesToHex(next.key);
    next.key.fill(0);
    this.cipher = null;
    Object.assign(this.state, { ken: next.ken, krn: next.krn, kt: next.kt, ti: next.ti });
    if (next.sgc !== undefined) this.state.sgc = next.sgc;
    if (next.rollover) {
      // RO=1: the TID memory is cleared together with the key (and base date) change.
      this.state.tids = [];
      if (this.opts.rolloverAdvancesBaseDate) {
        const i = BASE_DATES.indexOf(this.state.baseDate);
        this.state.baseDate = BASE_DATES[Math.min(i + 1, BASE_DATES.length - 1)]!;
      }
    }
    return { ok: true, kind: 'keyChange', cls: 2, subclass, missingSections: [], rollover: next.rollover };
  }
}

function reject(reason: MeterRejectReason, message: string): MeterEntryResult {
  return { ok: false, reason, message };
}

/** Registers hold tenths: keep sums free of binary floating-point drift. */
function round1(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

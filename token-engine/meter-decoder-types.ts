import type { KeyChangeSection } from './token-classes/key-change.js';
import type { BaseDate, Ea, MeterKey, StaTables } from './types.js';

/** Types of the meter-side decoder (meter-decoder.ts): results, options, persisted state. */
export type MeterRejectReason =
  | 'Format'
  | 'CRC'
  | 'Old'
  | 'Used'
  | 'KeyExpired'
  | 'KeyType'
  | 'Range'
  | 'Function'
  | 'DDTK'
  | 'Overflow'
  | 'Lockout'
  /** A key change section from another set than the pending sections (issue 21.6). */
  | 'KeySet';

export type MeterEntryKind =
  | 'credit'
  | 'maxPower'
  | 'clearCredit'
  | 'clearTamper'
  | 'phaseUnbalance'
  | 'waterFactor'
  | 'test'
  | 'keyChangeSection'
  | 'keyChange';

export type MeterRegister = 'electricity' | 'water' | 'gas';
export const REGISTERS: readonly MeterRegister[] = ['electricity', 'water', 'gas'];

export type MeterEntryResult =
  | {
      ok: true;
      kind: MeterEntryKind;
      cls: number;
      subclass: number;
      tid?: number;
      /** credit: units added. */
      units?: number;
      register?: MeterRegister | 'all';
      /** maxPower / phaseUnbalance: watts; waterFactor: raw value. */
      value?: number;
      /** test tokens. */
      mfrCode?: number;
      control?: bigint;
      /** key change: sections still missing (empty once applied). */
      missingSections?: number[];
      rollover?: boolean;
    }
  | { ok: false; reason: MeterRejectReason; message: string };

export type MeterDecoderOptions = {
  /** Derive the decoder key from the meter's key identity… */
  meterKey?: MeterKey;
  /** …or give it directly with its parameters. */
  decoderKey?: Uint8Array;
  ea?: Ea;
  baseDate?: BaseDate;
  ken?: number;
  ti?: number;
  krn?: number;
  kt?: number;
  sgc?: string;
  staTables?: StaTables;
  /** How many recent TIDs are remembered (STS requires at least 50). */
  tidMemory?: number;
  /**
   * Format/CRC failures before the keypad locks; only a token the meter accepts clears the count
   * (not a Used/Old replay, not a class 1 test token, which anyone can make: issue 21.5).
   */
  lockoutAfter?: number;
  lockoutMinutes?: number;
  /** Upper bound of each credit register in units (Overflow beyond it). */
  creditLimit?: number;
  /** RO=1 moves the meter to the next base date (1993 → 2014 → 2035) as well as clearing TIDs. */
  rolloverAdvancesBaseDate?: boolean;
  /** Valid entries within which all sections of one key change set must arrive (default: sections + 2). */
  keyChangeWindow?: number;
};

/** Persisted state. Contains the decoder key: store it like key material. */
export type MeterDecoderSnapshot = {
  version: 1;
  decoderKeyHex: string;
  ea: Ea;
  baseDate: BaseDate;
  ken: number;
  ti: number;
  krn: number;
  kt: number;
  sgc?: string;
  tids: number[];
  registers: Record<MeterRegister, number>;
  maxPower: number | null;
  phaseUnbalance: number | null;
  waterFactor: number | null;
  tamper: boolean;
  failures: number;
  lockedUntil: number | null;
  pending: Record<string, KeyChangeSection>;
  /** Count of valid (CRC-good, encrypted) entries; absent in snapshots from before issue 21. */
  validEntries?: number;
  /** validEntries at the first pending key change section. */
  pendingSince?: number | null;
};

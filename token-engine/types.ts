/** Shared types of the token engine (IEC 62055-41). */

/** Decoder key generation algorithm: 02 = DES based, 04 = HMAC-SHA-256 based. */
export type Dkga = '02' | '04';
/** Encryption algorithm: 07 = STA (Standard Transfer Algorithm), 11 = MISTY1. */
export type Ea = '07' | '11';
/** Base dates of the 24-bit minute TID. */
export type BaseDate = 1993 | 2014 | 2035;
export const BASE_DATES: readonly BaseDate[] = [1993, 2014, 2035];

/** A meter's key identity, exactly the `key` object of the shared vector files. */
export type MeterKey = {
  dkga: Dkga;
  ea: Ea;
  /** Vending key, hex: 8 bytes for DKGA02, any length (typically 20 or 32 bytes) for DKGA04. */
  vendingKey: string;
  /** Supply group code, 6 decimal digits. */
  sgc: string;
  /** Tariff index 0..99. */
  ti: number;
  /** Key revision number 1..9. */
  krn: number;
  /** Key type 0..3 (0 DITK initialisation, 1 DDTK default, 2 DUTK unique, 3 DCTK common). */
  kt: number;
  /** Key expiry number 0..255 (compared with TID >> 16). */
  ken: number;
  baseDate: BaseDate;
  /** 18-digit PAN (IIN ‖ IAIN ‖ Luhn check digit). */
  pan: string;
};

/**
 * STA substitution and permutation tables. The production set is licensed key material from the
 * STS Association: it is loaded at run time and never committed. `test: true` marks the
 * generated test set (see sta-tables.ts).
 */
export type StaTables = {
  readonly label: string;
  readonly test: boolean;
  /** 16 entries, a bijection on 0..15. */
  readonly s1: readonly number[];
  /** 16 entries, a bijection on 0..15. */
  readonly s2: readonly number[];
  /** 64 entries: output bit p[i] = input bit i. */
  readonly p: readonly number[];
};

/** What the cipher needs to encrypt/decrypt one 64-bit block. */
export type CipherKey = {
  decoderKey: Uint8Array;
  ea: Ea;
  staTables?: StaTables;
};

/** Token classes (IEC 62055-41 token class field, 2 bits). */
export type TokenClass = 0 | 1 | 2 | 3;

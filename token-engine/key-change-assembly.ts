import type { KeyChangeSection } from './token-classes/key-change.js';
import type { Ea } from './types.js';

/**
 * Meter side of a key change (IEC 62055-41 Set1st..4thSectionDecoderKey): which sections a meter
 * needs and how the collected sections assemble into the new key and its parameters.
 * 64-bit key = NKHO ‖ NKLO (sections 1, 2); 128-bit key = NKHO ‖ NKMO2 ‖ NKMO1 ‖ NKLO (1–4).
 */
export const KT_DITK = 0;

/** Class 2 subclasses a meter with this EA needs before it changes key. */
export function requiredKeyChangeSubclasses(ea: Ea): number[] {
  return ea === '11' ? [3, 4, 8, 9] : [3, 4];
}

export type AssembledKey =
  | {
      ok: true;
      key: Uint8Array;
      ken: number;
      krn: number;
      kt: number;
      ti: number;
      sgc?: string;
      rollover: boolean;
    }
  | { ok: false; reason: 'KeyType' | 'Range'; message: string };

type S<N extends 1 | 2 | 3 | 4> = Extract<KeyChangeSection, { section: N }>;

/** Assemble the new key from a complete set of sections keyed by subclass. */
export function assembleKeyChange(pending: Record<number, KeyChangeSection>, ea: Ea): AssembledKey {
  const s1 = pending[3] as S<1>;
  const s2 = pending[4] as S<2>;
  if (s1.kt === KT_DITK)
    return {
      ok: false,
      reason: 'KeyType',
      message: 'a key change cannot install an initialisation key (KT 0)',
    };
  if (s2.ti > 99) return { ok: false, reason: 'Range', message: `tariff index ${s2.ti} is out of range` };
  const long = requiredKeyChangeSubclasses(ea).length === 4;
  const key = new Uint8Array(long ? 16 : 8);
  const view = new DataView(key.buffer);
  view.setUint32(0, s1.nkho);
  let sgc: string | undefined;
  if (long) {
    const s3 = pending[8] as S<3>;
    const s4 = pending[9] as S<4>;
    view.setUint32(4, s3.nkmo2);
    view.setUint32(8, s4.nkmo1);
    view.setUint32(12, s2.nklo);
    const n = (s4.sgcHi << 12) | s3.sgcLo;
    if (n > 999_999) {
      key.fill(0);
      return { ok: false, reason: 'Range', message: 'supply group code out of range' };
    }
    sgc = String(n).padStart(6, '0');
  } else {
    view.setUint32(4, s2.nklo);
  }
  return {
    ok: true,
    key,
    ken: (s1.kenHo << 4) | s2.kenLo,
    krn: s1.krn,
    kt: s1.kt,
    ti: s2.ti,
    sgc,
    rollover: s1.ro === 1,
  };
}

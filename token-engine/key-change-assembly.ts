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

/**
 * Collecting the sections of one key change set (issue 21.6). The sections share no field that
 * ties them to one set (1st: KENHO/KRN/RO/KT, 2nd: KENLO/TI, 3rd/4th: SGC halves), so a meter that
 * simply stores "the latest section of each kind" can assemble a key from two sets: a key no
 * vending system holds, which locks the customer out of credit. Two rules close this:
 *  - a section that differs from the pending section of the same kind belongs to another set:
 *    the partial set is discarded and the section refused (`KeySet`), so nothing mixed can
 *    complete; the customer enters one whole set again;
 *  - a set must complete within `window` valid (CRC-good) keypad entries counted from its first
 *    section: a stale half left from an old receipt cannot pair with a later set.
 * What stays possible, and no meter can see: one half of set A followed directly by the other
 * half of set B, when no section of the same kind was entered twice. Vending keeps at most one
 * set outstanding per meter for that reason (issue 22.6 re-issues the same set on retry).
 */
export type PendingKeyChange = {
  sections: Record<string, KeyChangeSection>;
  /** Valid-entry count at the first section of the set. */
  since: number;
};

export type CollectOutcome =
  | { kind: 'pending'; pending: PendingKeyChange; missing: number[] }
  | { kind: 'complete'; sections: Record<number, KeyChangeSection> }
  | { kind: 'reject'; pending: PendingKeyChange | null; reason: 'Used' | 'KeySet'; message: string };

/** Extra valid entries allowed beyond the set's own sections (a credit typed in between). */
export const KEY_CHANGE_WINDOW_SLACK = 2;

export function defaultKeyChangeWindow(ea: Ea): number {
  return requiredKeyChangeSubclasses(ea).length + KEY_CHANGE_WINDOW_SLACK;
}

/**
 * Add one section (already CRC-checked under the current key). `entry` is the running count of
 * valid entries including this one.
 */
export function collectKeyChangeSection(
  current: PendingKeyChange | null,
  section: KeyChangeSection,
  subclass: number,
  ctx: { ea: Ea; entry: number; window: number },
): CollectOutcome {
  let pending = current;
  if (pending && ctx.entry - pending.since >= ctx.window) pending = null; // stale: expired
  const prev = pending?.sections[subclass];
  if (prev && sameSection(prev, section))
    return {
      kind: 'reject',
      pending,
      reason: 'Used',
      message: 'this key change section was already entered',
    };
  if (prev) {
    return {
      kind: 'reject',
      pending: null,
      reason: 'KeySet',
      message: 'sections from two different key change sets: enter all sections of one set again',
    };
  }
  const next: PendingKeyChange = pending
    ? { since: pending.since, sections: { ...pending.sections, [subclass]: section } }
    : { since: ctx.entry, sections: { [subclass]: section } };
  const required = requiredKeyChangeSubclasses(ctx.ea);
  const missing = required.filter((s) => !next.sections[s]);
  if (missing.length > 0) return { kind: 'pending', pending: next, missing };
  return { kind: 'complete', sections: next.sections as Record<number, KeyChangeSection> };
}

function sameSection(a: KeyChangeSection, b: KeyChangeSection): boolean {
  const ka = Object.keys(a) as (keyof KeyChangeSection)[];
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

import {
  DlmsByteWriter,
  DlmsValue as D,
  encodeDlmsDateTime,
  decodeDlmsDateTime,
  type AccessSelection,
  type DlmsData,
} from '../../drivers/index.js';
import { SLOT_MS } from '../model/load-profile.js';
import { YEAR_SLOTS, type MeterEnergy } from './meter-energy.js';

/**
 * The 15-minute load profile 1.0.99.1.0.255 (class 7): one row per quarter hour, capture objects
 * clock, AMR profile status, active energy import and export (Wh). Rows are computed from the meter's
 * energy, never stored, and encoded straight to A-XDR: a year (35,040 rows) is about 1 MB.
 */
export const CLOCK_LN = Uint8Array.from([0, 0, 1, 0, 0, 255]);
export const CAPTURE_OBJECTS: { classId: number; ln: Uint8Array; attribute: number }[] = [
  { classId: 8, ln: CLOCK_LN, attribute: 2 },
  { classId: 1, ln: Uint8Array.from([0, 0, 96, 10, 1, 255]), attribute: 2 },
  { classId: 3, ln: Uint8Array.from([1, 0, 1, 8, 0, 255]), attribute: 2 },
  { classId: 3, ln: Uint8Array.from([1, 0, 2, 8, 0, 255]), attribute: 2 },
];

export function captureObjectsData(): DlmsData {
  return D.array(
    CAPTURE_OBJECTS.map((c) => D.struct(D.u16(c.classId), D.octets(c.ln), D.i8(c.attribute), D.u16(0))),
  );
}

/** Status bit 2 (0x04, "power down" in the usual AMR profile status) marks a disconnected interval. */
const STATUS_OFF = 0x04;

export class ProfileBuffer {
  constructor(
    private readonly energy: MeterEnergy,
    private readonly now: () => number,
  ) {}

  /** Slots of entries 1..n (oldest first). */
  window(): { first: number; last: number } {
    const last = Math.floor(this.now() / SLOT_MS);
    const first = Math.max(this.energy.firstSlot, last - YEAR_SLOTS + 1);
    return { first, last };
  }

  entriesInUse(): number {
    const w = this.window();
    return w.last - w.first + 1;
  }

  /** The buffer (A-XDR array) for an optional selective access; undefined = the selector is refused. */
  encode(access?: AccessSelection): Uint8Array | undefined {
    const { first, last } = this.window();
    let from = first;
    let to = last;
    let cols = [0, 1, 2, 3];
    if (access?.selector === 2) {
      const p = access.parameters;
      if (p.type !== 'structure' || p.value.length !== 4) return undefined;
      const [fe, te, fc, tc] = p.value.map((x) =>
        'value' in x && typeof x.value === 'number' ? x.value : -1,
      );
      if (fe! < 1 || te! < 0 || fc! < 1 || tc! < 0) return undefined;
      from = first + fe! - 1;
      to = te === 0 ? last : Math.min(last, first + te! - 1);
      cols = cols.slice(fc! - 1, tc === 0 ? undefined : tc);
    } else if (access?.selector === 1) {
      const p = access.parameters;
      if (p.type !== 'structure' || p.value.length !== 4) return undefined;
      const [restricting, a, b, selected] = p.value;
      if (restricting?.type !== 'structure' || a?.type !== 'octet-string' || b?.type !== 'octet-string')
        return undefined;
      const ta = decodeDlmsDateTime(a.value);
      const tb = decodeDlmsDateTime(b.value);
      if (ta === undefined || tb === undefined) return undefined;
      from = Math.max(first, Math.ceil(ta / SLOT_MS));
      to = Math.min(last, Math.floor(tb / SLOT_MS));
      if (selected?.type === 'array' && selected.value.length > 0) {
        cols = [];
        for (const s of selected.value) {
          if (s.type !== 'structure' || s.value[1]?.type !== 'octet-string') return undefined;
          const ln = s.value[1].value;
          const i = CAPTURE_OBJECTS.findIndex((c) => c.ln.every((x, k) => x === ln[k]));
          if (i < 0) return undefined;
          cols.push(i);
        }
      }
    } else if (access) return undefined;
    const n = Math.max(0, to - from + 1);
    const w = new DlmsByteWriter(16 + n * (4 + cols.length * 14));
    w.u8(1).axdrLength(n);
    for (let slot = from; slot <= to; slot++) {
      w.u8(2).axdrLength(cols.length);
      for (const c of cols) {
        if (c === 0)
          w.u8(9)
            .u8(12)
            .bytes(encodeDlmsDateTime(slot * SLOT_MS));
        else if (c === 1) w.u8(17).u8(this.energy.offDuring(slot) ? STATUS_OFF : 0);
        else if (c === 2) w.u8(6).u32(Math.round(this.energy.importKwhAtSlot(slot) * 1000) >>> 0);
        else w.u8(6).u32(0);
      }
    }
    return w.result();
  }
}

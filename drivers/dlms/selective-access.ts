import { D, type DlmsData } from './axdr.js';
import { encodeDateTime } from './date-time.js';
import type { AccessSelection } from './xdlms.js';

/**
 * Selective access to a profile generic buffer (Blue Book, class 7 attribute 2):
 * selector 1 range_descriptor { restricting_object, from_value, to_value, selected_values },
 * selector 2 entry_descriptor { from_entry, to_entry, from_selected_value, to_selected_value }.
 */
export const CLOCK_LN = Uint8Array.from([0, 0, 1, 0, 0, 255]);

/** Entries are 1-based; to_entry 0 means "the last one", to_selected_value 0 "the last column". */
export function byEntry(fromEntry: number, toEntry: number, fromColumn = 1, toColumn = 0): AccessSelection {
  return {
    selector: 2,
    parameters: D.struct(D.u32(fromEntry), D.u32(toEntry), D.u16(fromColumn), D.u16(toColumn)),
  };
}

/** A range bound: UTC, day of week and hundredths left open as the recorded clients send them. */
export function rangeBound(ms: number): DlmsData {
  const b = encodeDateTime(Math.floor(ms / 1000) * 1000);
  b[4] = 0xff;
  b[8] = 0x00;
  return D.octets(b);
}

export interface RangeOptions {
  /** Restricting object (default: the clock's time, 8 / 0.0.1.0.0.255 / 2). */
  readonly restricting?: { classId: number; ln: Uint8Array; attribute: number; dataIndex?: number };
  /** Capture-object columns to return; empty = all. */
  readonly columns?: readonly DlmsData[];
}

export function byRange(fromMs: number, toMs: number, o: RangeOptions = {}): AccessSelection {
  const r = o.restricting ?? { classId: 8, ln: CLOCK_LN, attribute: 2, dataIndex: 0 };
  return {
    selector: 1,
    parameters: D.struct(
      D.struct(D.u16(r.classId), D.octets(r.ln), D.i8(r.attribute), D.u16(r.dataIndex ?? 0)),
      rangeBound(fromMs),
      rangeBound(toMs),
      D.array([...(o.columns ?? [])]),
    ),
  };
}

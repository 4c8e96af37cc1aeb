import { TokenEngineError } from './errors.js';
import type { BaseDate } from './types.js';

/**
 * Token identifier (IEC 62055-41 TID): minutes since 00:00 UTC on 1 January of the base year,
 * 24 bits. Base 1993 overflows on 2024-11-24 20:16 UTC ("TID rollover"); tokens past a base's
 * rollover are refused, never wrapped.
 */
export const TID_BITS = 24;
export const TID_MAX = 2 ** TID_BITS - 1;
const MINUTE_MS = 60_000;

export function baseDateMs(baseDate: BaseDate): number {
  return Date.UTC(baseDate, 0, 1);
}

export function tidFromTime(date: Date, baseDate: BaseDate): number {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new TokenEngineError('MG_ERR_TOKEN_TID_RANGE', 'time is not a valid date');
  const tid = Math.floor((ms - baseDateMs(baseDate)) / MINUTE_MS);
  if (tid < 0)
    throw new TokenEngineError(
      'MG_ERR_TOKEN_TID_BEFORE_BASE',
      `${date.toISOString()} is before ${baseDate}-01-01`,
    );
  if (tid > TID_MAX) {
    throw new TokenEngineError(
      'MG_ERR_TOKEN_TID_ROLLOVER',
      `${date.toISOString()} is after ${rolloverTime(baseDate).toISOString()} (base ${baseDate}); change key to a later base date`,
    );
  }
  return tid;
}

export function timeFromTid(tid: number, baseDate: BaseDate): Date {
  assertTid(tid);
  return new Date(baseDateMs(baseDate) + tid * MINUTE_MS);
}

/** The last minute a base date can express. */
export function rolloverTime(baseDate: BaseDate): Date {
  return new Date(baseDateMs(baseDate) + TID_MAX * MINUTE_MS);
}

export function assertTid(tid: number): void {
  if (!Number.isInteger(tid) || tid < 0 || tid > TID_MAX) {
    throw new TokenEngineError('MG_ERR_TOKEN_TID_RANGE', `tid must be an integer 0..${TID_MAX}`);
  }
}

/** KEN refusal: a decoder key with expiry number KEN accepts TIDs with tid >> 16 ≤ KEN. */
export function assertTidWithinKen(tid: number, ken: number | undefined): void {
  if (ken === undefined) return;
  if (tid >>> 16 > ken) {
    throw new TokenEngineError('MG_ERR_TOKEN_KEY_EXPIRED', `tid>>16 = ${tid >>> 16} is past KEN ${ken}`);
  }
}

/**
 * The TID to vend with at `now` when the meter's last vended TID is `lastTid`: vending never
 * issues two tokens with the same TID to one meter, so it bumps to lastTid + 1 (STS.md
 * "Meter-side rules"). Refuses past rollover like tidFromTime.
 */
export function nextTid(now: Date, baseDate: BaseDate, lastTid?: number): number {
  const fromClock = tidFromTime(now, baseDate);
  const tid = lastTid === undefined ? fromClock : Math.max(fromClock, lastTid + 1);
  if (tid > TID_MAX)
    throw new TokenEngineError(
      'MG_ERR_TOKEN_TID_ROLLOVER',
      `no TID left after ${lastTid} (base ${baseDate})`,
    );
  return tid;
}

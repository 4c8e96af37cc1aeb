import {
  COUNTER_SYNC_VALUE,
  MAX_ACTIVATION_VALUE_EXTENDED,
  MAX_ACTIVATION_VALUE,
  OpenPaygoDecoder,
  PAYG_DISABLE_VALUE,
  type OpenPaygoDecoderSnapshot,
  type OpenPaygoTokenType,
} from '../../token-engine/index.js';
import { SimulatorError } from '../errors.js';
import type { Clock } from '../model/clock.js';

/**
 * A simulated pay-as-you-go solar device with an OpenPAYGO Token keypad: `*` starts a token, the
 * digits follow, `#` enters it; the decoder (token-engine/openpaygo) checks it; the device keeps
 * its days of service, PAYG on/off and its counter. Behaviour follows the OpenPAYGO Token
 * specification's device rules and its test procedure (G1-G12, U1-U3): ADD_TIME adds days from
 * the later of now and the current expiry, SET_TIME sets them from now and turns PAYG back on,
 * DISABLE_PAYG (value 998) unlocks the device for good, COUNTER_SYNC (999) only moves the
 * counter. After an invalid token the keypad waits 2^n minutes (n = invalid tokens in a row,
 * capped) before it takes another one.
 */
export type PaygDeviceOptions = {
  /** 32 hex digits: the device secret key. */
  key: string;
  startingCode: number;
  restrictedDigitSet?: boolean;
  startingCount?: number;
  /** Token value units per day (1 = a value is a number of days; 24 = hours). */
  timeDivider?: number;
  clock: Clock;
  /** Wait after invalid tokens (on by default, as on real devices). */
  waitingPeriod?: boolean;
};

export type PaygEntryResult =
  | { result: 'accepted'; type: OpenPaygoTokenType; value: number; count: number }
  | { result: 'already-used' | 'invalid'; message: string }
  | { result: 'blocked'; until: number };

export type PaygStatus = {
  /** Output on: PAYG off, or days left. */
  active: boolean;
  paygEnabled: boolean;
  /** null once PAYG is disabled (the device is paid off). */
  daysRemaining: number | null;
  /** ms since epoch; meaningful while PAYG is enabled. */
  expiresAt: number;
  count: number;
  invalidInARow: number;
  blockedUntil: number | null;
};

export type PaygDeviceSnapshot = {
  version: 1;
  decoder: OpenPaygoDecoderSnapshot;
  expiresAt: number;
  paygEnabled: boolean;
  invalidInARow: number;
  blockedUntil: number | null;
};

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** 2^10 minutes (about 17 hours) at most: a family with a mistyped receipt is not locked out for days. */
export const MAX_WAIT_EXPONENT = 10;

export class PaygDevice {
  private readonly decoder: OpenPaygoDecoder;
  private readonly clock: Clock;
  private readonly timeDivider: number;
  private readonly waitingPeriod: boolean;
  private expiresAt: number;
  private paygEnabled = true;
  private invalidInARow = 0;
  private blockedUntil: number | null = null;
  private buffer: string | null = null;

  constructor(opts: PaygDeviceOptions) {
    const divider = opts.timeDivider ?? 1;
    if (!Number.isFinite(divider) || divider <= 0)
      throw new SimulatorError('MG_ERR_SIM_CONFIG', 'timeDivider must be a positive number');
    this.decoder = new OpenPaygoDecoder({
      key: opts.key,
      startingCode: opts.startingCode,
      restrictedDigitSet: opts.restrictedDigitSet,
      startingCount: opts.startingCount,
    });
    this.clock = opts.clock;
    this.timeDivider = divider;
    this.waitingPeriod = opts.waitingPeriod ?? true;
    this.expiresAt = this.clock.now(); // a new device is not active until its first token
  }

  /**
   * Keys pressed on the keypad: `*` starts (or restarts) a token, digits are collected, `#` enters
   * it. Returns the results of the tokens entered by these keys.
   */
  press(keys: string): PaygEntryResult[] {
    const results: PaygEntryResult[] = [];
    for (const k of keys) {
      if (k === '*') this.buffer = '';
      else if (k === '#') {
        if (this.buffer !== null) results.push(this.enterToken(this.buffer));
        this.buffer = null;
      } else if (this.buffer !== null && this.buffer.length < 64) this.buffer += k;
    }
    return results;
  }

  /** Enter a whole token (any typed form: spaces, dashes, Eastern Arabic digits). */
  enterToken(token: string): PaygEntryResult {
    const now = this.clock.now();
    if (this.waitingPeriod && this.blockedUntil !== null && now < this.blockedUntil)
      return { result: 'blocked', until: this.blockedUntil };
    const r = this.decoder.enter(token);
    if (!r.ok) {
      if (r.reason === 'AlreadyUsed') return { result: 'already-used', message: r.message };
      // Format and Invalid alike: a wrong token, counted towards the waiting period. An already
      // used token neither counts nor clears the count (it proves nothing about the typist).
      this.invalidInARow++;
      this.blockedUntil = now + 2 ** Math.min(this.invalidInARow, MAX_WAIT_EXPONENT) * MINUTE_MS;
      return { result: 'invalid', message: r.message };
    }
    this.invalidInARow = 0;
    this.blockedUntil = null;
    this.apply(r.type, r.value, r.extended, now);
    return { result: 'accepted', type: r.type, value: r.value, count: this.decoder.count };
  }

  status(): PaygStatus {
    const now = this.clock.now();
    const left = Math.max(0, this.expiresAt - now);
    return {
      active: !this.paygEnabled || left > 0,
      paygEnabled: this.paygEnabled,
      daysRemaining: this.paygEnabled ? left / DAY_MS : null,
      expiresAt: this.expiresAt,
      count: this.decoder.count,
      invalidInARow: this.invalidInARow,
      blockedUntil: this.blockedUntil,
    };
  }

  snapshot(): PaygDeviceSnapshot {
    return {
      version: 1,
      decoder: this.decoder.snapshot(),
      expiresAt: this.expiresAt,
      paygEnabled: this.paygEnabled,
      invalidInARow: this.invalidInARow,
      blockedUntil: this.blockedUntil,
    };
  }

  restore(s: PaygDeviceSnapshot): void {
    if (s?.version !== 1 || typeof s.expiresAt !== 'number')
      throw new SimulatorError('MG_ERR_SIM_STATE', 'not a PaygDevice snapshot (version 1)');
    this.decoder.restore(s.decoder);
    this.expiresAt = s.expiresAt;
    this.paygEnabled = s.paygEnabled;
    this.invalidInARow = s.invalidInARow;
    this.blockedUntil = s.blockedUntil;
  }

  private apply(type: OpenPaygoTokenType, value: number, extended: boolean, now: number): void {
    const isTime = type === 'ADD_TIME' || type === 'SET_TIME';
    const maxTime = extended ? MAX_ACTIVATION_VALUE_EXTENDED : MAX_ACTIVATION_VALUE;
    // Standard tokens: 998 and 999 are commands whatever the count parity (the procedure's U3
    // disables PAYG with an ADD_TIME of 998); 996 and 997 are unassigned and do nothing.
    if (type === 'DISABLE_PAYG' || (!extended && value === PAYG_DISABLE_VALUE)) {
      this.paygEnabled = false;
      return;
    }
    if (type === 'COUNTER_SYNC' || (!extended && value === COUNTER_SYNC_VALUE)) return;
    if (!isTime || value > maxTime) return;
    const ms = (value / this.timeDivider) * DAY_MS;
    if (type === 'SET_TIME') {
      this.paygEnabled = true;
      this.expiresAt = now + ms;
    } else if (this.paygEnabled) {
      // Days missed while the device was off are not owed: add from now if it had expired.
      this.expiresAt = Math.max(this.expiresAt, now) + ms;
    }
  }
}

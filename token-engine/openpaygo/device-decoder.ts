import { TokenEngineError } from '../errors.js';
import { decodeOpenPaygoToken, type OpenPaygoDecoded, type OpenPaygoDeviceState } from './decode.js';
import { openPaygoKeyFromHex, startingCodeFromKey, type OpenPaygoKey } from './shared.js';

/**
 * The decoder a PAYG device runs: its key, starting code, counter and used-count memory, with a
 * snapshot for persistence (the snapshot holds the key: store it like key material). What a token
 * does to the device (days of service, PAYG on/off) is the device's business: simulators/payg.
 */
export type OpenPaygoDecoderOptions = {
  key: string;
  startingCode?: number;
  restrictedDigitSet?: boolean;
  /** Count the device starts at (1 in the reference devices and the published vectors). */
  startingCount?: number;
};

export type OpenPaygoDecoderSnapshot = {
  version: 1;
  keyHex: string;
  startingCode: number;
  restrictedDigitSet: boolean;
  count: number;
  usedCounts: number[];
};

export class OpenPaygoDecoder {
  private key: OpenPaygoKey;
  private s: OpenPaygoDecoderSnapshot;

  constructor(opts: OpenPaygoDecoderOptions) {
    this.key = openPaygoKeyFromHex(opts.key);
    const startingCode = opts.startingCode ?? startingCodeFromKey(this.key);
    if (!Number.isSafeInteger(startingCode) || startingCode < 0 || startingCode > 999_999_999)
      throw new TokenEngineError(
        'MG_ERR_TOKEN_OPENPAYGO_FIELD',
        'starting_code must be an integer 0..999999999',
      );
    const count = opts.startingCount ?? 1;
    if (!Number.isSafeInteger(count) || count < 0)
      throw new TokenEngineError('MG_ERR_TOKEN_OPENPAYGO_FIELD', 'count must be an integer ≥ 0');
    this.s = {
      version: 1,
      keyHex: opts.key.toLowerCase(),
      startingCode,
      restrictedDigitSet: opts.restrictedDigitSet === true,
      count,
      usedCounts: [],
    };
  }

  get count(): number {
    return this.s.count;
  }
  get usedCounts(): readonly number[] {
    return [...this.s.usedCounts];
  }

  /** Enter a typed token; on success the counter and memory move. Never throws on the token. */
  enter(token: unknown): OpenPaygoDecoded {
    const state: OpenPaygoDeviceState = { count: this.s.count, usedCounts: this.s.usedCounts };
    const r = decodeOpenPaygoToken(token, state, {
      key: this.key,
      startingCode: this.s.startingCode,
      restrictedDigitSet: this.s.restrictedDigitSet,
    });
    if (r.ok) {
      this.s.count = r.state.count;
      this.s.usedCounts = [...r.state.usedCounts];
    }
    return r;
  }

  snapshot(): OpenPaygoDecoderSnapshot {
    return structuredClone(this.s);
  }

  restore(snap: OpenPaygoDecoderSnapshot): void {
    if (snap?.version !== 1 || !Array.isArray(snap.usedCounts) || !Number.isSafeInteger(snap.count))
      throw new TokenEngineError('MG_ERR_TOKEN_REQUEST', 'not an OpenPaygoDecoder snapshot (version 1)');
    this.key = openPaygoKeyFromHex(snap.keyHex);
    this.s = structuredClone(snap);
  }
}

import { deriveDecoderKey } from './derive.js';
import { TokenEngineError } from './errors.js';
import { bytesToHex } from './key-fields.js';
import { generateCreditToken } from './token-classes/credit.js';
import { generateKeyChangeTokens } from './token-classes/key-change.js';
import { generateManagementToken } from './token-classes/management.js';
import { generateTestToken } from './token-classes/test-token.js';
import { tidFromTime } from './tid.js';
import type { MeterKey, StaTables } from './types.js';

/**
 * One vending request in the schema of ../shared/vectors/sts-tokens-public.jsonl (used by
 * `metergate token batch`): { id, key, newKey?, tid | time, rnd, token: { class, subclass,
 * amount | value | mfrCode + control } | { kind: "keyChange", ro } }. Unknown fields are ignored.
 */
export type TokenRequest = {
  id?: unknown;
  key: MeterKey;
  newKey?: MeterKey;
  tid?: number;
  time?: string;
  rnd?: number;
  token:
    | { class: 0; subclass: 0 | 1 | 2; amount: number }
    | { class: 1; subclass: 0 | 1; mfrCode: number; control: string | number }
    | { class: 2; subclass: 0 | 1 | 2 | 5 | 6 | 7; value: number }
    | { kind: 'keyChange'; ro: 0 | 1 };
};

function bad(detail: string): never {
  throw new TokenEngineError('MG_ERR_TOKEN_REQUEST', detail);
}

function asObject(v: unknown, name: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${name} must be an object`);
  return v as Record<string, unknown>;
}

/** The tokens a request asks for. Throws TokenEngineError naming the offending field. */
export function tokensForRequest(input: unknown, opts: { staTables?: StaTables } = {}): string[] {
  const req = asObject(input, 'request');
  const token = asObject(req.token, 'token');
  if (token.class === 1) {
    return [
      generateTestToken({
        subclass: token.subclass as 0 | 1,
        mfrCode: token.mfrCode as number,
        control: token.control as string,
      }),
    ];
  }
  const key = asObject(req.key, 'key') as MeterKey;
  const decoderKey = deriveDecoderKey(key);
  if (token.kind === 'keyChange') {
    const newKey = asObject(req.newKey, 'newKey') as MeterKey;
    const newDecoderKey = deriveDecoderKey(newKey);
    return generateKeyChangeTokens({
      currentDecoderKey: decoderKey,
      ea: key.ea,
      staTables: opts.staTables,
      newDecoderKey,
      ken: newKey.ken,
      krn: newKey.krn,
      ti: newKey.ti,
      kt: newKey.kt,
      ro: token.ro as 0 | 1,
      sgc: newKey.sgc,
    });
  }
  let tid: number;
  if (req.tid !== undefined) tid = req.tid as number;
  else if (typeof req.time === 'string') {
    const at = new Date(req.time);
    if (Number.isNaN(at.getTime())) bad('time must be an ISO 8601 date-time');
    tid = tidFromTime(at, key.baseDate);
  } else bad('tid or time is required');
  if (req.rnd === undefined) bad('rnd is required');
  const common = {
    decoderKey,
    ea: key.ea,
    staTables: opts.staTables,
    tid,
    rnd: req.rnd as number,
    ken: key.ken,
  };
  if (token.class === 0) {
    if (typeof token.amount !== 'number') bad('token.amount must be a number');
    return [generateCreditToken({ ...common, subclass: token.subclass as 0 | 1 | 2, units: token.amount })];
  }
  if (token.class === 2) {
    if (typeof token.value !== 'number') bad('token.value must be a number');
    return [
      generateManagementToken({
        ...common,
        subclass: token.subclass as 0 | 1 | 2 | 5 | 6 | 7,
        value: token.value,
      }),
    ];
  }
  return bad('token.class must be 0, 1 or 2, or token.kind "keyChange"');
}

/** `metergate token derive`: the decoder key of a request's `key`, big-endian hex. */
export function decoderKeyHexForRequest(input: unknown): string {
  const req = asObject(input, 'request');
  return bytesToHex(deriveDecoderKey(asObject(req.key, 'key') as MeterKey));
}

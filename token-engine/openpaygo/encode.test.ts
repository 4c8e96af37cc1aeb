import { describe, expect, it } from 'vitest';
import { encodeOpenPaygoToken, openPaygoLine, TokenEngineError } from '../index.js';

const DEVICE = { key: 'bc41ec9530f6dac86b1a29ab82edc5fb', startingCode: 516959010 };
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof TokenEngineError ? `${e.code} ${e.message}` : String(e);
  }
  return undefined;
};

describe('OpenPAYGO encoder input checks', () => {
  it('refuses out-of-range values with a typed error', () => {
    expect(code(() => encodeOpenPaygoToken({ ...DEVICE, count: 1, type: 'ADD_TIME', value: 996 }))).toMatch(
      /MG_ERR_TOKEN_OPENPAYGO_VALUE .*0\.\.995/,
    );
    expect(code(() => encodeOpenPaygoToken({ ...DEVICE, count: 1, type: 'ADD_TIME', value: 1.5 }))).toMatch(
      /VALUE/,
    );
    expect(code(() => encodeOpenPaygoToken({ ...DEVICE, count: 1, type: 'DISABLE_PAYG', value: 3 }))).toMatch(
      /must be null/,
    );
    expect(
      code(() => encodeOpenPaygoToken({ ...DEVICE, count: 1, type: 'SET_TIME', value: 998, extended: true })),
    ).toMatch(/reads as DISABLE_PAYG/);
    expect(
      encodeOpenPaygoToken({ ...DEVICE, count: 1, type: 'ADD_TIME', value: 500_000, extended: true }).token,
    ).toMatch(/^\d{12}$/);
    expect(code(() => encodeOpenPaygoToken({ ...DEVICE, count: -1, type: 'ADD_TIME', value: 1 }))).toMatch(
      /count/,
    );
    expect(
      code(() => encodeOpenPaygoToken({ ...DEVICE, count: 1, type: 'NOPE' as never, value: 1 })),
    ).toMatch(/token_type/);
  });

  it('derives the starting code from the key when none is given', () => {
    const a = encodeOpenPaygoToken({ key: DEVICE.key, count: 1, type: 'ADD_TIME', value: 1 });
    expect(a.token).toMatch(/^\d{9}$/);
    expect(a.newCount).toBe(2);
  });
});

describe('the JSON-line form', () => {
  const line = {
    serial_number: 'X',
    starting_code: 516959010,
    key: DEVICE.key,
    count: 1,
    token_type: 'ADD_TIME',
    value_raw: 1,
    restricted_digit_set: false,
    extended_token: false,
  };

  it('names the bad field', () => {
    for (const [patch, field] of [
      [{ key: 'xyz' }, 'key'],
      [{ starting_code: '516959010' }, 'starting_code'],
      [{ count: 1.5 }, 'count'],
      [{ token_type: 'ADD' }, 'token_type'],
      [{ value_raw: '1' }, 'value_raw'],
      [{ value_raw: 996 }, 'value_raw'],
      [{ restricted_digit_set: 'no' }, 'restricted_digit_set'],
      [{ extended_token: 1 }, 'extended_token'],
      [{ serial_number: 7 }, 'serial_number'],
    ] as const) {
      expect(code(() => openPaygoLine({ ...line, ...patch }))).toContain(`"${field}"`);
    }
    expect(code(() => openPaygoLine([1]))).toContain('"line"');
  });

  it('keeps the other keys and sets token and new_count', () => {
    expect(openPaygoLine({ ...line, note: 'n', token: 'old' })).toEqual({
      ...line,
      note: 'n',
      token: '588224011',
      new_count: 2,
    });
  });
});

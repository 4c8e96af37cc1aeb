import { describe, expect, it } from 'vitest';
import {
  encodeOpenPaygoToken,
  MAX_TOKEN_JUMP,
  MAX_TOKEN_JUMP_COUNTER_SYNC,
  MAX_UNUSED_OLDER_TOKENS,
  OpenPaygoDecoder,
  type OpenPaygoTokenType,
} from '../index.js';

/**
 * Device-side validation, on the worked sequences of the OpenPAYGO Token test procedure (EnAccess
 * "full test procedure": G = core tokens, U = unordered entry) with the device of the published
 * vectors (TEST220000001), plus the counter window and counter synchronisation limits.
 */
const DEVICE = { key: 'bc41ec9530f6dac86b1a29ab82edc5fb', startingCode: 516959010 };

/** A server that keeps the device's count, as the procedure's helper does. */
function server(count = 1, opts: { restrictedDigitSet?: boolean; extended?: boolean } = {}) {
  let c = count;
  return {
    get count() {
      return c;
    },
    token(type: OpenPaygoTokenType, value?: number, atCount?: number): string {
      const r = encodeOpenPaygoToken({ ...DEVICE, ...opts, count: atCount ?? c, type, value });
      c = r.newCount;
      return r.token;
    },
  };
}
const device = (restrictedDigitSet = false) => new OpenPaygoDecoder({ ...DEVICE, restrictedDigitSet });

describe('OpenPAYGO device decoder: the test procedure', () => {
  it('G1-G4: invalid token, set time, add time, the same tokens again are already used', () => {
    const s = server();
    const d = device();
    expect(d.enter('123 456 789')).toMatchObject({ ok: false, reason: 'Invalid' });
    const g2 = s.token('SET_TIME', 1);
    expect(d.enter(g2)).toMatchObject({ ok: true, type: 'SET_TIME', value: 1 });
    const g3 = s.token('ADD_TIME', 1);
    expect(d.enter(g3)).toMatchObject({ ok: true, type: 'ADD_TIME', value: 1 });
    expect(d.count).toBe(s.count);
    expect(d.enter(g3)).toMatchObject({ ok: false, reason: 'AlreadyUsed' }); // G4A
    expect(d.enter(g2)).toMatchObject({ ok: false, reason: 'AlreadyUsed' }); // G4B
  });

  it('G7-G8: maximum values; set time tokens each 30 counts ahead are found', () => {
    const s = server();
    const d = device();
    for (let i = 0; i < 3; i++)
      expect(d.enter(s.token('ADD_TIME', 995))).toMatchObject({ ok: true, value: 995 });
    for (let i = 1; i <= 21; i++) {
      const t = s.token('SET_TIME', i, s.count + 29);
      expect(d.enter(t)).toMatchObject({ ok: true, type: 'SET_TIME', value: i, tokenCount: s.count });
    }
    expect(d.count).toBe(s.count);
  });

  it('G9-G11: DISABLE_PAYG, whether made as a command or as an ADD_TIME of 998', () => {
    const s = server();
    const d = device();
    expect(d.enter(s.token('DISABLE_PAYG'))).toMatchObject({ ok: true, type: 'DISABLE_PAYG', value: 998 });
    expect(d.enter(s.token('SET_TIME', 0))).toMatchObject({ ok: true, type: 'SET_TIME', value: 0 });
  });

  it('U1: three ADD_TIME tokens entered 3rd, 1st, 2nd all count', () => {
    const s = server();
    const d = device();
    expect(d.enter(s.token('SET_TIME', 60)).ok).toBe(true);
    const [b, c, e] = [s.token('ADD_TIME', 10), s.token('ADD_TIME', 5), s.token('ADD_TIME', 1)];
    expect(d.enter(e)).toMatchObject({ ok: true, value: 1 });
    expect(d.enter(b)).toMatchObject({ ok: true, value: 10 });
    expect(d.enter(c)).toMatchObject({ ok: true, value: 5 });
    expect(d.enter(b)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
  });

  it('U2: after a SET_TIME, an older ADD_TIME is refused but a newer one is accepted', () => {
    const s = server();
    const d = device();
    const [a, b, c] = [s.token('ADD_TIME', 5), s.token('SET_TIME', 10), s.token('ADD_TIME', 3)];
    expect(d.enter(b)).toMatchObject({ ok: true, type: 'SET_TIME', value: 10 });
    expect(d.enter(a)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
    expect(d.enter(c)).toMatchObject({ ok: true, type: 'ADD_TIME', value: 3 });
  });

  it('U3: after DISABLE_PAYG, an older ADD_TIME is refused', () => {
    const s = server();
    const d = device();
    const a = s.token('ADD_TIME', 1);
    expect(d.enter(s.token('DISABLE_PAYG'))).toMatchObject({ ok: true, type: 'DISABLE_PAYG' });
    expect(d.enter(a)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
  });
});

describe('OpenPAYGO device decoder: windows', () => {
  it(`finds a token up to ${MAX_TOKEN_JUMP} counts ahead, not further`, () => {
    const d = device();
    const far = encodeOpenPaygoToken({ ...DEVICE, count: 1 + MAX_TOKEN_JUMP, type: 'ADD_TIME', value: 2 });
    expect(far.newCount).toBe(MAX_TOKEN_JUMP + 2); // 66: beyond 1 + 64
    expect(d.enter(far.token)).toMatchObject({ ok: false, reason: 'Invalid' });
    const edge = encodeOpenPaygoToken({ ...DEVICE, count: MAX_TOKEN_JUMP - 1, type: 'SET_TIME', value: 2 });
    expect(edge.newCount).toBe(MAX_TOKEN_JUMP + 1); // 65 = 1 + 64, the last count searched
    expect(d.enter(edge.token)).toMatchObject({ ok: true, tokenCount: 65 });
    expect(d.count).toBe(65);
  });

  it(`keeps unused ADD_TIME tokens for ${MAX_UNUSED_OLDER_TOKENS} counts below the counter`, () => {
    const s = server();
    const d = device();
    const tokens = Array.from({ length: 10 }, () => s.token('ADD_TIME', 1)); // counts 2, 4, … 20
    expect(d.enter(tokens[9]!)).toMatchObject({ ok: true, tokenCount: 20 });
    expect(d.enter(tokens[1]!)).toMatchObject({ ok: false, reason: 'AlreadyUsed' }); // count 4 ≤ 20 − 16
    expect(d.enter(tokens[2]!)).toMatchObject({ ok: true, tokenCount: 6 });
    expect(d.enter(tokens[2]!)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
    expect(d.enter(tokens[8]!)).toMatchObject({ ok: true, tokenCount: 18 });
    expect(d.count).toBe(20);
  });

  it(`COUNTER_SYNC is found up to ${MAX_TOKEN_JUMP_COUNTER_SYNC} counts ahead and brings the device back in the window`, () => {
    const d = device();
    const s = server(1);
    const sync = s.token('COUNTER_SYNC', undefined, 90); // count 91: past the normal window
    expect(d.enter(sync)).toMatchObject({ ok: true, type: 'COUNTER_SYNC', value: 999, tokenCount: 91 });
    expect(d.count).toBe(91);
    expect(d.enter(s.token('ADD_TIME', 7, 140))).toMatchObject({ ok: true, tokenCount: 142 });
    const tooFar = encodeOpenPaygoToken({
      ...DEVICE,
      count: 142 + MAX_TOKEN_JUMP_COUNTER_SYNC,
      type: 'COUNTER_SYNC',
    });
    expect(d.enter(tooFar.token)).toMatchObject({ ok: false, reason: 'Invalid' });
  });

  it('an old COUNTER_SYNC never sets the counter back (no replay of used ADD_TIME tokens)', () => {
    const d = device();
    const s = server(1);
    const oldSync = s.token('COUNTER_SYNC', undefined, 20); // count 21
    expect(d.enter(oldSync)).toMatchObject({ ok: true, tokenCount: 21 });
    const add = s.token('ADD_TIME', 1, 60); // count 62
    expect(d.enter(add)).toMatchObject({ ok: true, tokenCount: 62 });
    expect(d.enter(oldSync)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
    expect(d.count).toBe(62);
    expect(d.enter(add)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
  });
});

describe('OpenPAYGO device decoder: input', () => {
  it('restricted digit set tokens (keys 1-4) and extended tokens decode', () => {
    const s = server(1, { restrictedDigitSet: true });
    const d = device(true);
    const t = s.token('ADD_TIME', 3);
    expect(t).toMatch(/^[1-4]{15}$/);
    expect(d.enter(t)).toMatchObject({ ok: true, value: 3 });
    expect(d.enter('123412341234125')).toMatchObject({ ok: false, reason: 'Format' });
    const x = server(d.count, { restrictedDigitSet: true, extended: true }).token('SET_TIME', 123_456);
    expect(x).toMatch(/^[1-4]{20}$/);
    expect(d.enter(x)).toMatchObject({ ok: true, extended: true, type: 'SET_TIME', value: 123_456 });
  });

  it('typed forms: spaces, dashes, Eastern Arabic digits; wrong lengths are Format', () => {
    const s = server();
    const d = device();
    const t = s.token('ADD_TIME', 4);
    const arabic = `${t.slice(0, 3)}-${t.slice(3, 6)} ${t.slice(6)}`.replace(
      /\d/g,
      (c) => '٠١٢٣٤٥٦٧٨٩'[Number(c)]!,
    );
    expect(d.enter(arabic)).toMatchObject({ ok: true, value: 4 });
    expect(d.enter('1234')).toMatchObject({ ok: false, reason: 'Format' });
    expect(d.enter(null)).toMatchObject({ ok: false, reason: 'Format' });
  });

  it('snapshot and restore keep the counter and the used counts', () => {
    const s = server();
    const d = device();
    const t = s.token('ADD_TIME', 1);
    expect(d.enter(t).ok).toBe(true);
    const r = new OpenPaygoDecoder({ key: '00'.repeat(16), startingCode: 1 });
    r.restore(JSON.parse(JSON.stringify(d.snapshot())));
    expect(r.count).toBe(d.count);
    expect(r.enter(t)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
    expect(r.enter(s.token('ADD_TIME', 1)).ok).toBe(true);
  });
});

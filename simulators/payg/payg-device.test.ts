import { describe, expect, it } from 'vitest';
import { encodeOpenPaygoToken, type OpenPaygoTokenType } from '../../token-engine/index.js';
import { MAX_WAIT_EXPONENT, PaygDevice } from './index.js';

/**
 * The OpenPAYGO Token test procedure (core G1-G12 and unordered entry U1-U3) played on the
 * simulated device, with the device of the published vectors and a hand-driven clock.
 */
const DEVICE = { key: 'bc41ec9530f6dac86b1a29ab82edc5fb', startingCode: 516959010 };
const DAY = 86_400_000;

function world(opts: { restrictedDigitSet?: boolean; waitingPeriod?: boolean; timeDivider?: number } = {}) {
  let t = Date.UTC(2030, 0, 1);
  const clock = { now: () => t };
  const device = new PaygDevice({ ...DEVICE, ...opts, waitingPeriod: opts.waitingPeriod ?? false, clock });
  let count = 1;
  const server = (type: OpenPaygoTokenType, value?: number, at?: number): string => {
    const r = encodeOpenPaygoToken({
      ...DEVICE,
      restrictedDigitSet: opts.restrictedDigitSet,
      count: at ?? count,
      type,
      value,
    });
    count = r.newCount;
    return r.token;
  };
  const days = (): number | null => device.status().daysRemaining;
  return {
    device,
    server,
    days,
    advance: (ms: number) => {
      t += ms;
    },
    get serverCount() {
      return count;
    },
  };
}

describe('PAYG device: core tokens (G1-G12)', () => {
  it('runs the core sequence', () => {
    const w = world();
    const { device: d, server, days } = w;
    expect(d.status()).toMatchObject({ active: false, paygEnabled: true, daysRemaining: 0, count: 1 });
    expect(d.enterToken('123 456 789')).toMatchObject({ result: 'invalid' }); // G1
    const g2 = server('SET_TIME', 1);
    expect(d.enterToken(g2)).toMatchObject({ result: 'accepted', type: 'SET_TIME' }); // G2
    expect(days()).toBe(1);
    const g3 = server('ADD_TIME', 1);
    expect(d.enterToken(g3)).toMatchObject({ result: 'accepted', type: 'ADD_TIME' }); // G3
    expect(days()).toBe(2);
    expect(d.enterToken(g3)).toMatchObject({ result: 'already-used' }); // G4A
    expect(d.enterToken(g2)).toMatchObject({ result: 'already-used' }); // G4B
    expect(days()).toBe(2);
    expect(d.enterToken(server('SET_TIME', 30)).result).toBe('accepted'); // G5
    expect(days()).toBe(30);
    expect(d.enterToken(server('SET_TIME', 0)).result).toBe('accepted'); // G6
    expect(d.status()).toMatchObject({ active: false, daysRemaining: 0 });
    for (let i = 1; i <= 3; i++) {
      expect(d.enterToken(server('ADD_TIME', 995)).result).toBe('accepted'); // G7
      expect(days()).toBe(995 * i);
    }
    for (let i = 1; i <= 21; i++) {
      expect(d.enterToken(server('SET_TIME', i, w.serverCount + 29)).result).toBe('accepted'); // G8
      expect(days()).toBe(i);
    }
    expect(d.status().count).toBe(w.serverCount);
    expect(d.enterToken(server('DISABLE_PAYG')).result).toBe('accepted'); // G9
    expect(d.status()).toMatchObject({ active: true, paygEnabled: false, daysRemaining: null });
    expect(d.enterToken(server('SET_TIME', 0)).result).toBe('accepted'); // G10: relocks
    expect(d.status()).toMatchObject({ active: false, paygEnabled: true, daysRemaining: 0 });
    expect(d.enterToken(server('DISABLE_PAYG')).result).toBe('accepted'); // G11A
    expect(d.enterToken(server('ADD_TIME', 0)).result).toBe('accepted'); // G11B: does not relock
    expect(d.status()).toMatchObject({ active: true, paygEnabled: false });
    expect(d.enterToken(server('SET_TIME', 0)).result).toBe('accepted'); // G12A
    w.advance(2 * DAY);
    expect(d.enterToken(server('ADD_TIME', 1)).result).toBe('accepted'); // G12B
    expect(days()).toBe(1); // the 48 hours off are not owed
  });
});

describe('PAYG device: unordered entry (U1-U3)', () => {
  it('U1: ADD_TIME tokens entered out of order all count', () => {
    const { device: d, server, days } = world();
    expect(d.enterToken(server('SET_TIME', 60)).result).toBe('accepted');
    const [b, c, e] = [server('ADD_TIME', 10), server('ADD_TIME', 5), server('ADD_TIME', 1)];
    d.enterToken(e);
    expect(days()).toBe(61);
    d.enterToken(b);
    expect(days()).toBe(71);
    d.enterToken(c);
    expect(days()).toBe(76);
  });

  it('U2: an ADD_TIME older than a SET_TIME is refused, a newer one counts', () => {
    const { device: d, server, days } = world();
    const [a, b, c] = [server('ADD_TIME', 5), server('SET_TIME', 10), server('ADD_TIME', 3)];
    d.enterToken(b);
    expect(days()).toBe(10);
    expect(d.enterToken(a).result).toBe('already-used');
    expect(days()).toBe(10);
    d.enterToken(c);
    expect(days()).toBe(13);
  });

  it('U3: after DISABLE_PAYG an older ADD_TIME is refused', () => {
    // The procedure makes its disable token with the low-level generator as an ADD_TIME of 998;
    // our encoder keeps ADD_TIME within 0..995 (as the reference encoder's public API does), so
    // the DISABLE_PAYG type stands in for it. The device treats 998 as disable either way.
    const { device: d, server } = world();
    const a = server('ADD_TIME', 1);
    expect(d.enterToken(server('DISABLE_PAYG')).result).toBe('accepted');
    expect(d.status().paygEnabled).toBe(false);
    expect(d.enterToken(a).result).toBe('already-used');
  });
});

describe('PAYG device: COUNTER_SYNC', () => {
  it('brings a device whose tokens were lost back into the window without adding days', () => {
    const w = world();
    const { device: d, server, days } = w;
    expect(d.enterToken(server('ADD_TIME', 5)).result).toBe('accepted');
    // 80 counts the device never saw (tokens sold and never typed): beyond its 64-count window.
    server('ADD_TIME', 1, w.serverCount + 80);
    const lost = server('ADD_TIME', 2);
    expect(d.enterToken(lost).result).toBe('invalid');
    d.restore({ ...d.snapshot(), invalidInARow: 0, blockedUntil: null });
    const sync = server('COUNTER_SYNC');
    expect(d.enterToken(sync)).toMatchObject({ result: 'accepted', type: 'COUNTER_SYNC', value: 999 });
    expect(days()).toBe(5);
    expect(d.status().count).toBe(w.serverCount);
    expect(d.enterToken(server('ADD_TIME', 3)).result).toBe('accepted');
    expect(days()).toBe(8);
    expect(d.enterToken(sync).result).toBe('already-used');
  });
});

describe('PAYG device: keypad, digits and waiting period', () => {
  it('takes * digits # from the keypad, with Eastern Arabic digits too', () => {
    const { device: d, server, days } = world();
    const t = server('ADD_TIME', 7);
    const arabic = t.replace(/\d/g, (c) => '٠١٢٣٤٥٦٧٨٩'[Number(c)]!);
    expect(d.press(`12*${arabic}#`)).toEqual([{ result: 'accepted', type: 'ADD_TIME', value: 7, count: 2 }]);
    expect(days()).toBe(7);
    expect(d.press('#9#')).toEqual([]); // no * before: nothing entered
  });

  it('a restricted digit set device (keys 1-4) works the same', () => {
    const { device: d, server, days } = world({ restrictedDigitSet: true });
    const t = server('SET_TIME', 3);
    expect(t).toMatch(/^[1-4]{15}$/);
    expect(d.press(`*${t}#`)[0]).toMatchObject({ result: 'accepted' });
    expect(days()).toBe(3);
  });

  it('hours when the time divider is 24', () => {
    const { device: d, server, days } = world({ timeDivider: 24 });
    d.enterToken(server('ADD_TIME', 36));
    expect(days()).toBe(1.5);
  });

  it('waits 2^n minutes after n invalid tokens; used tokens neither count nor clear it', () => {
    const w = world({ waitingPeriod: true });
    const { device: d, server } = w;
    const good = server('ADD_TIME', 1);
    expect(d.enterToken(good).result).toBe('accepted');
    expect(d.enterToken('111111111').result).toBe('invalid');
    expect(d.enterToken(good)).toMatchObject({ result: 'blocked' }); // 2 minutes
    w.advance(2 * 60_000);
    expect(d.enterToken(good).result).toBe('already-used');
    expect(d.enterToken('222222222').result).toBe('invalid');
    expect(d.status().invalidInARow).toBe(2);
    w.advance(3 * 60_000);
    expect(d.enterToken(server('ADD_TIME', 1))).toMatchObject({ result: 'blocked' }); // 4 minutes
    w.advance(60_000);
    expect(d.enterToken(server('ADD_TIME', 1)).result).toBe('accepted');
    expect(d.status().invalidInARow).toBe(0);
    for (let i = 0; i < 15; i++) {
      w.advance(2 ** MAX_WAIT_EXPONENT * 60_000);
      d.enterToken('333333333');
    }
    expect(d.status().blockedUntil! - Date.UTC(2030, 0, 1)).toBeLessThan(20 * DAY); // capped
  });

  it('snapshot and restore carry days, PAYG state and the counter', () => {
    const w = world();
    const t = w.server('ADD_TIME', 5);
    w.device.enterToken(t);
    const snap = JSON.parse(JSON.stringify(w.device.snapshot()));
    const other = world();
    other.device.restore(snap);
    expect(other.device.status()).toMatchObject({ daysRemaining: 5, count: 2 });
    expect(other.device.enterToken(t).result).toBe('already-used');
    expect(() => other.device.restore({ version: 2 } as never)).toThrow(/snapshot/);
  });
});

import { describe, expect, it } from 'vitest';
import { decodePayload, decodeReading, validatePayload, type PayloadKind } from './index.js';

const reading = {
  v: 1,
  meter: 'SDM630-0001',
  seq: 1042,
  ts: '2026-11-22T10:15:00.000Z',
  values: { '1-0:1.8.0': 1234.567, '1-0:2.8.0': 0, '1-0:1.7.0': 0.812, '1-0:32.7.0': 231.2 },
  quality: 'good',
  source: 'modbus-tcp',
  historical: false,
};

const GOOD: Record<PayloadKind, unknown> = {
  reading,
  event: {
    v: 1,
    meter: 'm1',
    ts: '2026-11-22T10:15:00Z',
    kind: 'token.rejected',
    token: '12345678901234567890',
    reason: 'Used',
  },
  state: {
    v: 1,
    meter: 'm1',
    ts: '2026-11-22T10:15:00+01:00',
    online: true,
    credit: 12.5,
    relay: 'connected',
  },
  'edge-state': { v: 1, edge: 'edge-1', ts: '2026-11-22T10:15:00Z', online: false },
  'cmd.token': { v: 1, id: 'vend-1', meter: 'm1', ts: '2026-11-22T10:15:00Z', token: '01234567890123456789' },
  'cmd.relay': { v: 1, id: 'r-1', meter: 'm1', ts: '2026-11-22T10:15:00Z', relay: 'disconnected' },
  'cmd.set': { v: 1, id: 's-1', field: 'relay', value: true, expiresAt: '2026-11-22T10:20:00Z' },
  'cmd.read': { v: 1, id: 'rd-1', reason: 'operator asked' },
};

function expectReject(kind: PayloadKind, payload: string | Uint8Array, path: string | RegExp, code?: string) {
  const r = decodePayload(kind, payload);
  expect(r.ok, typeof payload === 'string' ? payload.slice(0, 80) : 'bytes').toBe(false);
  if (r.ok) return;
  if (code) expect(r.code).toBe(code);
  expect(r.message).toMatch(path);
  return r;
}

function withField(base: object, key: string, value: unknown): string {
  return JSON.stringify({ ...base, [key]: value }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

describe('payload round trips', () => {
  for (const [kind, value] of Object.entries(GOOD) as Array<[PayloadKind, unknown]>) {
    it(`round-trips a ${kind}`, () => {
      const wire = Buffer.from(JSON.stringify(value));
      const r = decodePayload(kind, wire);
      expect(r).toMatchObject({ ok: true });
      if (r.ok) expect(JSON.parse(JSON.stringify(r.value))).toMatchObject(value as object);
    });
  }

  it('fills reading defaults for quality and source', () => {
    const { quality: _q, source: _s, ...bare } = reading;
    const r = decodeReading(JSON.stringify(bare));
    expect(r).toMatchObject({ ok: true, value: { quality: 'good', source: 'mqtt' } });
  });

  it('gives the epoch milliseconds of a decoded reading, parsed once', () => {
    const r = decodeReading(Buffer.from(withField(reading, 'ts', '2026-11-22T10:15:00.250+01:00')));
    expect(r).toMatchObject({ ok: true, tsMs: Date.UTC(2026, 10, 22, 9, 15, 0, 250) });
  });

  it('validates a caller-held value without changing it', () => {
    const { quality: _q, source: _s, ...bare } = reading;
    const held = structuredClone(bare);
    const r = validatePayload('reading', held);
    expect(r).toMatchObject({ ok: true, value: { quality: 'good', source: 'mqtt' } });
    expect(held).toEqual(bare);
  });
});

describe('malformed readings are rejected with the field and the rule', () => {
  it('names missing and wrongly typed fields', () => {
    const { meter: _m, ...noMeter } = reading;
    expectReject('reading', JSON.stringify(noMeter), /\/meter/, 'MG_ERR_PROTOCOL_SCHEMA');
    expectReject('reading', withField(reading, 'seq', '12'), /\/seq/);
    expectReject('reading', withField(reading, 'seq', -1), /\/seq/);
    expectReject('reading', withField(reading, 'seq', 1.5), /\/seq/);
    expectReject('reading', withField(reading, 'v', 2), /\/v/);
    expectReject('reading', withField(reading, 'historical', 'yes'), /\/historical/);
    expectReject('reading', withField(reading, 'quality', 'excellent'), /\/quality/);
    expectReject('reading', withField(reading, 'extra', 1), /\/extra/);
    expectReject('reading', withField(reading, 'meter', 'a/b'), /\/meter/);
  });

  it('rejects bad timestamps', () => {
    expectReject('reading', withField(reading, 'ts', 'yesterday'), /\/ts/);
    expectReject('reading', withField(reading, 'ts', '2026-13-45T99:99:99Z'), /\/ts.*calendar/);
    expectReject('reading', withField(reading, 'ts', 1732270500000), /\/ts/);
    expectReject('reading', withField(reading, 'ts', '2026-11-22T10:15:00'), /\/ts/);
  });

  it('rejects hostile numbers', () => {
    expectReject('reading', withField(reading, 'values', { '1-0:1.8.0': 1e300 }), /\/values\/1-0:1\.8\.0/);
    expectReject(
      'reading',
      '{"v":1,"meter":"m","seq":1,"ts":"2026-11-22T10:15:00Z","values":{"1-0:1.8.0":1e999}}',
      /values/,
    );
    expectReject('reading', withField(reading, 'values', { '1-0:1.8.0': 'NaN' }), /values/);
    expectReject('reading', withField(reading, 'values', { '1-0:1.8.0': null }), /values/);
    expectReject('reading', withField(reading, 'seq', 2 ** 60), /\/seq/);
    const r = validatePayload('reading', { ...reading, values: { '1-0:1.8.0': NaN } });
    expect(r.ok).toBe(false);
    const inf = validatePayload('reading', { ...reading, values: { '1-0:1.8.0': Infinity } });
    expect(inf.ok).toBe(false);
  });

  it('rejects empty, unknown and non-numeric OBIS values', () => {
    expectReject('reading', withField(reading, 'values', {}), /\/values/);
    expectReject('reading', withField(reading, 'values', []), /\/values/);
    expectReject('reading', withField(reading, 'values', { 'not-obis': 1 }), /\/values/);
    expectReject(
      'reading',
      withField(reading, 'values', { '9-9:9.9.9': 1 }),
      /unknown OBIS code 9-9:9\.9\.9/,
      'MG_ERR_PROTOCOL_OBIS',
    );
    expectReject('reading', withField(reading, 'values', { '0-0:96.1.0': 5 }), /not numeric/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`1-0:${i}.8.0`, 1]));
    expectReject('reading', withField(reading, 'values', many), /\/values/);
  });

  it('survives non-JSON, huge and deeply nested payloads', () => {
    expectReject('reading', 'not json', /invalid JSON/, 'MG_ERR_PROTOCOL_JSON');
    expectReject('reading', '', /invalid JSON/);
    expectReject('reading', Buffer.from([0xff, 0xfe, 0x00, 0x01]), /invalid JSON/);
    expectReject('reading', 'null', /\//);
    expectReject('reading', '[]', /\//);
    expectReject('reading', '"string"', /\//);
    expectReject(
      'reading',
      withField(reading, 'meter', 'x'.repeat(1_000_000)),
      /limit/,
      'MG_ERR_PROTOCOL_TOO_LARGE',
    );
    const big = decodePayload('reading', withField(reading, 'meter', 'x'.repeat(1_000_000)), {
      maxBytes: 2_000_000,
    });
    expect(big).toMatchObject({ ok: false, code: 'MG_ERR_PROTOCOL_SCHEMA' });
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    expectReject('reading', deep, /\//);
    const deepField = withField(reading, 'values', JSON.parse('{"a":'.repeat(500) + '1' + '}'.repeat(500)));
    expectReject('reading', deepField, /\/values/);
  });
});

describe('other payload kinds reject bad input', () => {
  it('events, states and commands', () => {
    expectReject('event', withField(GOOD.event as object, 'kind', 'explode'), /\/kind/);
    expectReject('event', withField(GOOD.event as object, 'token', '123'), /\/token/);
    expectReject('event', withField(GOOD.event as object, 'reason', '<script>'), /\/reason/);
    expectReject('state', withField(GOOD.state as object, 'online', 'true'), /\/online/);
    expectReject('edge-state', withField(GOOD['edge-state'] as object, 'edge', ''), /\/edge/);
    expectReject(
      'cmd.token',
      withField(GOOD['cmd.token'] as object, 'token', '1234 5678 9012 3456 7890'),
      /\/token/,
    );
    expectReject('cmd.relay', withField(GOOD['cmd.relay'] as object, 'relay', 'off'), /\/relay/);
  });

  it('power events and a meter state with its location', () => {
    for (const kind of ['power.failure', 'power.restored'])
      expect(validatePayload('event', { ...(GOOD.event as object), kind })).toMatchObject({ ok: true });
    const location = { lat: 33.95, lon: -6.87, commune: 'Hay Riad', transformer: 'T-1', feeder: 'F-1' };
    expect(decodePayload('state', withField(GOOD.state as object, 'location', location))).toMatchObject({
      ok: true,
      value: { location },
    });
    const bad = (l: object) => withField(GOOD.state as object, 'location', { ...location, ...l });
    expectReject('state', bad({ lat: 91 }), /\/location\/lat/);
    expectReject('state', bad({ lon: -180.5 }), /\/location\/lon/);
    expectReject('state', bad({ transformer: 'T 1' }), /\/location\/transformer/);
    expectReject('state', bad({ address: 'x'.repeat(201) }), /\/location\/address/);
    expectReject('state', bad({ lng: 1 }), /\/location\/lng/);
    expectReject('state', withField(GOOD.state as object, 'location', { lat: 33.95 }), /\/location\/lon/);
  });
});

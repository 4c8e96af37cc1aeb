import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAmount,
  decodeToken,
  encodeAmount,
  generateCreditToken,
  generateKeyChangeTokens,
  generateManagementToken,
  generateTestStaTables,
  generateTestToken,
  MeterDecoder,
  TID_MAX,
  type Ea,
} from './index.js';

const staTables = generateTestStaTables();
const NOW = new Date('2030-01-01T00:00:00Z');

/** A random decoder key for either algorithm (EA07 with the TEST tables). */
const cipherKey = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((k) => ({ decoderKey: k, ea: '11' as Ea, staTables })),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((k) => ({ decoderKey: k, ea: '07' as Ea, staTables })),
);
const tid = fc.integer({ min: 0, max: TID_MAX });
const rnd = fc.integer({ min: 0, max: 15 });

describe('encode → decode round trips', () => {
  it('credit tokens', () => {
    fc.assert(
      fc.property(
        cipherKey,
        fc.constantFrom(0, 1, 2),
        fc.integer({ min: 0, max: 18_201_624 }),
        tid,
        rnd,
        (k, subclass, tenths, t, r) => {
          const units = tenths / 10;
          const token = generateCreditToken({ ...k, subclass: subclass as 0 | 1 | 2, units, tid: t, rnd: r });
          expect(token).toMatch(/^\d{20}$/);
          const d = decodeToken(token, k);
          expect(d).toMatchObject({
            ok: true,
            cls: 0,
            subclass,
            crcOk: true,
            tid: t,
            rnd: r,
            amount: decodeAmount(encodeAmount(units)),
          });
          if (d.ok) expect(d.amount).toBeGreaterThanOrEqual(Math.floor(units * 10 + 1e-6) / 10);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('management tokens', () => {
    fc.assert(
      fc.property(
        cipherKey,
        fc.constantFrom(1, 2, 5, 7),
        fc.integer({ min: 0, max: 0xffff }),
        tid,
        rnd,
        (k, subclass, value, t, r) => {
          const token = generateManagementToken({ ...k, subclass: subclass as 1, value, tid: t, rnd: r });
          expect(decodeToken(token, k)).toMatchObject({
            ok: true,
            cls: 2,
            subclass,
            crcOk: true,
            tid: t,
            rnd: r,
            value,
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('test tokens (class 1)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1),
        fc.integer({ min: 0, max: 0xffff }),
        fc.bigInt({ min: 0n, max: (1n << 36n) - 1n }),
        (subclass, mfr, control) => {
          const mfrCode = subclass === 0 ? mfr & 0xff : mfr;
          const c = subclass === 0 ? control : control & ((1n << 28n) - 1n);
          const token = generateTestToken({ subclass: subclass as 0 | 1, mfrCode, control: c });
          const d = decodeToken(token, { decoderKey: new Uint8Array(16), ea: '11' });
          expect(d).toMatchObject({ ok: true, cls: 1, subclass, crcOk: true, test: { mfrCode, control: c } });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('key change sets are applied by the meter to exactly the new key', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.record({
          ken: fc.integer({ min: 0, max: 255 }),
          krn: fc.integer({ min: 1, max: 9 }),
          ti: fc.integer({ min: 0, max: 99 }),
          kt: fc.integer({ min: 1, max: 3 }),
          ro: fc.constantFrom(0, 1),
          sgc: fc.integer({ min: 0, max: 999_999 }).map((n) => String(n).padStart(6, '0')),
        }),
        (cur, next, p) => {
          const m = new MeterDecoder({ decoderKey: cur, ea: '11', ken: 255, kt: 2 });
          const tokens = generateKeyChangeTokens({
            currentDecoderKey: cur,
            ea: '11',
            newDecoderKey: next,
            ...p,
            ro: p.ro as 0 | 1,
          });
          const results = tokens.map((t) => m.enter(t, NOW));
          expect(results.at(-1)).toMatchObject({ ok: true, kind: 'keyChange', rollover: p.ro === 1 });
          expect(m.snapshot().decoderKeyHex).toBe(Buffer.from(next).toString('hex'));
          expect(m.keyInfo).toMatchObject({ ken: p.ken, krn: p.krn, ti: p.ti, kt: p.kt, sgc: p.sgc });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('untrusted token strings', () => {
  const key = { decoderKey: Uint8Array.from({ length: 16 }, (_, i) => i * 7), ea: '11' as const };

  it('never throw, and a meter accepts one only when CRC and ranges hold', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{20}$/), (s) => {
        const d = decodeToken(s, key);
        const m = new MeterDecoder({ ...key, lockoutAfter: 1000 });
        const r = m.enter(s, NOW);
        if (!d.ok) {
          expect(r).toMatchObject({ ok: false, reason: 'Format' });
          return;
        }
        if (!d.crcOk) expect(r).toMatchObject({ ok: false, reason: 'CRC' });
        if (r.ok) {
          expect(d.crcOk).toBe(true);
          expect(d.cls).not.toBe(3);
          if (d.cls === 0) expect(d.subclass).toBeLessThanOrEqual(2);
          if (d.tid !== undefined) expect(d.tid >>> 16).toBeLessThanOrEqual(255);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throw on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const d = decodeToken(s, key);
        expect(typeof d.ok).toBe('boolean');
        const r = new MeterDecoder(key).enter(s, NOW);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
    expect(decodeToken(undefined as unknown as string, key)).toMatchObject({ ok: false, reason: 'Format' });
  });
});

describe('MeterDecoder', () => {
  it('never accepts the same token twice', () => {
    const k = { decoderKey: Uint8Array.from({ length: 16 }, (_, i) => 255 - i), ea: '11' as const };
    const entry = fc.record({
      kind: fc.constantFrom('credit', 'mgmt'),
      tid: fc.integer({ min: 0, max: 120 }),
      units: fc.integer({ min: 1, max: 1000 }),
      rnd,
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 150 }), (entries) => {
        const m = new MeterDecoder({ ...k, tidMemory: 50 });
        const accepted = new Set<string>();
        for (const e of entries) {
          const token =
            e.kind === 'credit'
              ? generateCreditToken({ ...k, subclass: 0, units: e.units, tid: e.tid, rnd: e.rnd })
              : generateManagementToken({ ...k, subclass: 0, value: e.units, tid: e.tid, rnd: e.rnd });
          for (let i = 0; i < 2; i++) {
            const r = m.enter(token, NOW);
            if (r.ok) {
              expect(accepted.has(token)).toBe(false);
              accepted.add(token);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Browser modules are plain JavaScript; Node imports them as they are (variable paths keep the
// type checker out of browser code).
const load = async <T>(path: string): Promise<T> => (await import(path)) as T;
const { createSseParser } = await load<{
  createSseParser: (d: (type: string, data: string) => void) => (chunk: string) => void;
}>('./web/lib/sse.js');
const series = await load<{
  consumptionRows: (r: unknown) => Array<{ key: string; value: number; quality: string }>;
  addDays: (day: string, n: number) => string;
  listOf: (r: unknown) => unknown[];
}>('./web/lib/series.js');
const { asReading } = await load<{ asReading: (d: unknown) => unknown }>('./web/lib/live.js');

function parseAll(chunks: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const push = createSseParser((t, d) => out.push([t, d]));
  for (const c of chunks) push(c);
  return out;
}

describe('SSE parser (WHATWG HTML §9.2.6)', () => {
  const stream =
    ': metergate live\n\nevent: reading\ndata: {"meterId":"M1"}\n\n' +
    'event: event\r\ndata: {"a":1}\r\ndata: {"b":2}\r\n\r\n: ping\n\ndata:no-space\r\r';
  const expected: Array<[string, string]> = [
    ['reading', '{"meterId":"M1"}'],
    ['event', '{"a":1}\n{"b":2}'],
    ['message', 'no-space'],
  ];

  it('parses events, comments, multi-line data and every line ending', () => {
    expect(parseAll([stream])).toEqual(expected);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(stream.slice(prev, p));
          prev = p;
        }
        chunks.push(stream.slice(prev));
        expect(parseAll(chunks)).toEqual(expected);
      }),
    );
  });
});

describe('series helpers', () => {
  it('reads the meters API consumption shape (series of { period, consumption })', () => {
    const rows = series.consumptionRows({
      series: [
        { period: '2026-06', consumption: 12.5, days: 30 },
        { period: '2026-06-02', consumption: 1, quality: 'estimated' },
        { period: '2026-06-03', consumption: null },
      ],
    });
    expect(rows).toEqual([
      { key: '2026-06', value: 12.5, quality: 'measured' },
      { key: '2026-06-02', value: 1, quality: 'estimated' },
    ]);
    expect(series.listOf({ readings: [1, 2] })).toEqual([1, 2]);
    expect(series.listOf(null)).toEqual([]);
  });

  it('shifts UTC days across months, years and leap days', () => {
    expect(series.addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(series.addDays('2026-01-01', -364)).toBe('2025-01-02');
    expect(series.addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('accepts live readings with meterId or meter and refuses malformed ones', () => {
    expect(asReading({ meterId: 'M1', ts: '2026-01-01T00:00:00Z', values: { '1-0:1.7.0': 1 } })).toEqual({
      meter: 'M1',
      ts: '2026-01-01T00:00:00Z',
      values: { '1-0:1.7.0': 1 },
    });
    expect(asReading({ meter: 'M2', ts: 'x', values: {} })).toMatchObject({ meter: 'M2' });
    expect(asReading({ meterId: 'M1', values: {} })).toBeNull();
    expect(asReading({ meterId: 7, ts: 'x', values: {} })).toBeNull();
    expect(asReading('nope')).toBeNull();
  });
});

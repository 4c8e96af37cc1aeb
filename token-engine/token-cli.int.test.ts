import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, REPO_ROOT, SHARED_VECTORS, tokenVectors, MISTY_KEY } from './test-support.js';

/**
 * The real CLI in a child process: `./bin/metergate token …` with JSON lines on stdin. Integration
 * tier because every spawn boots tsx and the whole CLI (several seconds each on a loaded machine).
 */
const BIN = path.join(REPO_ROOT, 'bin/metergate');
const run = (args: string[], input: string, env: NodeJS.ProcessEnv = {}) => {
  const { METERGATE_STA_TABLES: _drop, ...base } = process.env;
  return spawnSync(process.execPath, [BIN, ...args], {
    input,
    encoding: 'utf8',
    env: { ...base, ...env },
    timeout: 60_000,
  });
};
const lines = (s: string): Array<Record<string, unknown>> =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const tmp = mkdtempSync(path.join(tmpdir(), 'mg-token-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('metergate token (child process)', () => {
  it('batch: every public vector reproduces; EA07 lines report the missing production tables; one line out per line in', () => {
    const input = readFileSync(path.join(FIXTURES, 'sts-tokens-public.jsonl'), 'utf8');
    const r = run(['token', 'batch'], input);
    const out = lines(r.stdout);
    const vectors = tokenVectors();
    expect(out.map((o) => o.id)).toEqual(vectors.map((v) => v.id));
    let checked = 0;
    for (const [i, v] of vectors.entries()) {
      if (v.key.ea === '07' && v.token.class !== 1) {
        expect(out[i]).toMatchObject({ id: v.id, error: { code: 'MG_ERR_TOKEN_STA_TABLES_REQUIRED' } });
      } else {
        expect(out[i]).toEqual({ id: v.id, tokens: v.expect });
        checked++;
      }
    }
    expect(checked).toBe(18);
    expect(r.status).toBe(1); // not every line succeeded
    expect(r.stdout + r.stderr).not.toContain('abababab');
  });

  it('batch: bad lines never stop the batch, exit 0 only when all succeed, and --sta-tables enables EA07', () => {
    const file = path.join(tmp, 'sta.json');
    expect(run(['token', 'sta-tables', '--test', '--out', file], '').status).toBe(0);
    const good = tokenVectors().filter((v) => v.id.startsWith('04-'));
    const sta = tokenVectors().find((v) => v.id === '02-CTSA01-1')!;
    const input = [
      '{not json',
      JSON.stringify({ id: 'nokey', token: { class: 0, subclass: 0, amount: 1 }, tid: 1, rnd: 1 }),
      JSON.stringify({ ...good[0], id: 'bad-pan', key: { ...good[0]!.key, pan: '600727000000000008' } }),
      JSON.stringify({ ...good[0], id: 'too-late', tid: undefined, time: '2030-01-01T00:00:00Z' }),
      ...good.map((v) => JSON.stringify(v)),
    ].join('\n');
    const out = lines(run(['token', 'batch', '--sta-tables', file], `${input}\n`).stdout);
    expect(out[0]).toMatchObject({ id: null, error: { code: 'MG_ERR_TOKEN_REQUEST' } });
    expect(out[1]).toMatchObject({
      id: 'nokey',
      error: { code: 'MG_ERR_TOKEN_REQUEST', message: expect.stringContaining('key') },
    });
    expect(out[2]).toMatchObject({ id: 'bad-pan', error: { code: 'MG_ERR_TOKEN_PAN' } });
    expect(out[3]).toMatchObject({ id: 'too-late', error: { code: 'MG_ERR_TOKEN_TID_ROLLOVER' } });
    expect(out.slice(4)).toEqual(good.map((v) => ({ id: v.id, tokens: v.expect })));
    const ok = run(['token', 'batch'], `${[...good, sta].map((v) => JSON.stringify(v)).join('\n')}\n`, {
      METERGATE_STA_TABLES: file,
    });
    expect(ok.status).toBe(0);
    expect(lines(ok.stdout).every((o) => Array.isArray(o.tokens))).toBe(true);
  });

  it('derive prints big-endian hex decoder keys', () => {
    const r = run(['token', 'derive'], readFileSync(path.join(FIXTURES, 'sts-keys-public.jsonl'), 'utf8'));
    expect(r.status).toBe(0);
    expect(lines(r.stdout).map((o) => o.decoderKey)).toEqual([
      'e653341f9d5bf36f',
      'e94023262e9993c2',
      'aa4baa8749c10d27',
      'f94b6ed353c3bfdb113e2d3a7ea3c41d',
    ]);
  });

  it('generate and decode for a person; key change words are never printed', () => {
    const key = JSON.stringify(MISTY_KEY);
    const g = run(
      ['token', 'generate', '--key', key, '--amount', '12.5', '--tid', '5871665', '--rnd', '5'],
      '',
    );
    expect(g.status).toBe(0);
    const token = g.stdout.trim();
    const d = run(['token', 'decode', '--key', key, token, '34812744915211133004', 'nonsense'], '');
    const [credit, kc, bad] = lines(d.stdout);
    expect(credit).toMatchObject({
      ok: true,
      cls: 0,
      crcOk: true,
      amount: 12.5,
      tid: 5871665,
      time: '2004-03-01T13:05:00.000Z',
    });
    expect(kc).toMatchObject({
      ok: true,
      cls: 2,
      subclass: 3,
      block: '[hidden]',
      keyChange: { nkho: '[hidden]' },
    });
    expect(bad).toMatchObject({ ok: false, reason: 'Format' });
    expect(d.status).toBe(1);
    const e = run(['token', 'generate', '--key', '{"vendingKey":"abababab', '--amount', '1'], '');
    expect(e.status).not.toBe(0);
    expect(e.stderr).toContain('MG_ERR_TOKEN_REQUEST');
    expect(e.stderr).not.toContain('abababab');
  });

  it('openpaygo: every published vector line comes back with token and new_count; a bad line names its field', () => {
    const file = path.join(SHARED_VECTORS, 'openpaygo-tokens-published.jsonl');
    if (!existsSync(file)) throw new Error(`OpenPAYGO vectors missing: ${file}`);
    const expected = lines(readFileSync(file, 'utf8'));
    const input = expected.map(({ token: _t, new_count: _n, ...rest }) => JSON.stringify(rest));
    input.splice(3, 0, JSON.stringify({ ...JSON.parse(input[0]!), count: 'one' }));
    const r = run(['token', 'openpaygo'], `${input.join('\n')}\n`);
    const out = lines(r.stdout);
    expect(out).toHaveLength(expected.length + 1);
    expect(out[3]).toMatchObject({
      line: 4,
      error: { code: 'MG_ERR_TOKEN_OPENPAYGO_FIELD', field: 'count' },
    });
    out.splice(3, 1);
    expect(out).toEqual(expected);
    expect(r.status).toBe(1);
  });
});

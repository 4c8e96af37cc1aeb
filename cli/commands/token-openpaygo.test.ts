import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { captureContext } from '../test-context.js';
import { registerTokenCommands } from './token.js';

/**
 * `metergate token openpaygo`, in process (the command's own code; the child-process form is
 * in token-engine/token-cli.int.test.ts for the STS commands).
 */
const VECTORS = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'vectors',
  'openpaygo-tokens-published.jsonl',
);

async function run(input: string): Promise<{ lines: Record<string, unknown>[]; exitCode: number }> {
  const stdin = new PassThrough();
  const ctx = captureContext({}, stdin);
  const program = new Command().exitOverride();
  registerTokenCommands(program, ctx);
  stdin.end(input);
  await program.parseAsync(['node', 'metergate', 'token', 'openpaygo']);
  const lines = ctx
    .out()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, exitCode: ctx.exitCode ?? 0 };
}

describe('metergate token openpaygo', () => {
  it('reproduces every published vector line: the input object with token and new_count', async () => {
    if (!existsSync(VECTORS)) throw new Error(`OpenPAYGO vectors missing: ${VECTORS}`);
    const expected = readFileSync(VECTORS, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const input = expected.map(({ token: _t, new_count: _n, ...rest }) => JSON.stringify(rest)).join('\n');
    const { lines, exitCode } = await run(`${input}\n`);
    expect(lines).toEqual(expected);
    expect(exitCode).toBe(0);
  });

  it('a bad line gives an error line naming the field, and the run goes on', async () => {
    const good = {
      serial_number: 'S1',
      starting_code: 516959010,
      key: 'bc41ec9530f6dac86b1a29ab82edc5fb',
      count: 1,
      token_type: 'ADD_TIME',
      value_raw: 1,
      restricted_digit_set: false,
      extended_token: false,
    };
    const input = [
      JSON.stringify({ ...good, token_type: 'ADD_DAYS' }),
      'not json',
      JSON.stringify({ ...good, value_raw: 5000 }),
      JSON.stringify(good),
      JSON.stringify({ ...good, key: 'short' }),
    ].join('\n');
    const { lines, exitCode } = await run(input);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ line: 1, serial_number: 'S1', error: { field: 'token_type' } });
    expect(lines[1]).toMatchObject({ line: 2, error: { code: 'MG_ERR_TOKEN_REQUEST' } });
    expect(lines[2]).toMatchObject({
      line: 3,
      error: { code: 'MG_ERR_TOKEN_OPENPAYGO_VALUE', field: 'value_raw' },
    });
    expect(lines[3]).toEqual({ ...good, token: '588224011', new_count: 2 });
    expect(lines[4]).toMatchObject({ line: 5, error: { code: 'MG_ERR_TOKEN_OPENPAYGO_KEY', field: 'key' } });
    expect(JSON.stringify(lines[4])).not.toContain('short');
    expect(exitCode).toBe(1);
  });
});

describe('metergate token generate --grouped', () => {
  it('prints the token 4-4-4-4-4 for a person', async () => {
    const ctx = captureContext();
    const program = new Command().exitOverride();
    registerTokenCommands(program, ctx);
    const key = {
      dkga: '04',
      ea: '11',
      vendingKey: 'abababababababab949494949494949401234567',
      sgc: '123457',
      ti: 1,
      krn: 1,
      kt: 2,
      ken: 255,
      baseDate: 1993,
      pan: '600727000000000009',
    };
    const args = ['--key', JSON.stringify(key), '--amount', '5', '--tid', '100', '--rnd', '1'];
    await program.parseAsync(['node', 'metergate', 'token', 'generate', ...args, '--grouped']);
    const grouped = ctx.out().trim();
    expect(grouped).toMatch(/^\d{4}( \d{4}){4}$/);
    const plain = captureContext();
    const p2 = new Command().exitOverride();
    registerTokenCommands(p2, plain);
    await p2.parseAsync(['node', 'metergate', 'token', 'generate', ...args]);
    expect(plain.out().trim()).toBe(grouped.replace(/ /g, ''));
  });
});

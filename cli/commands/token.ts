import { randomInt } from 'node:crypto';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import {
  decodeToken,
  decoderKeyHexForRequest,
  deriveDecoderKey,
  formatTokenDigits,
  generateTestStaTables,
  loadStaTables,
  openPaygoLine,
  tokensForRequest,
  TokenEngineError,
  type MeterKey,
  type StaTables,
} from '../../token-engine/index.js';

/**
 * `metergate token …`: the STS token engine on the command line. batch/derive speak JSON lines
 * (stdin → stdout, one output line per input line, a bad line never stops the batch). Key
 * material never goes to stderr or the log: errors carry a stable code and a field name only.
 */
export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program
    .command('token')
    .description('STS (IEC 62055-41) tokens: vend, derive keys, decode; OpenPAYGO tokens (token openpaygo)');

  token
    .command('batch')
    .description(
      'JSON lines on stdin (schema of sts-tokens-public.jsonl) → {"id","tokens"} or {"id","error"} per line',
    )
    .option('--sta-tables <file>', 'STA S1/S2/P table file for EA07 (default: $METERGATE_STA_TABLES)')
    .action(async (opts: { staTables?: string }) => {
      const tables = tablesOrExit(opts.staTables, ctx);
      if (tables === null) return;
      await eachLine(ctx, (req) => ({ tokens: tokensForRequest(req, { staTables: tables }) }));
    });

  token
    .command('derive')
    .description('JSON lines with a "key" object on stdin → {"id","decoderKey":"hex"} per line')
    .action(async () => {
      await eachLine(ctx, (req) => ({ decoderKey: decoderKeyHexForRequest(req) }));
    });

  token
    .command('decode')
    .description('decode tokens with a meter key and print one JSON line per token')
    .requiredOption('--key <json>', 'meter key JSON {dkga,ea,vendingKey,sgc,ti,krn,kt,ken,baseDate,pan}')
    .option('--sta-tables <file>', 'STA table file for EA07 (default: $METERGATE_STA_TABLES)')
    .argument('<tokens...>', '20-digit tokens')
    .action((tokens: string[], opts: { key: string; staTables?: string }) => {
      const tables = tablesOrExit(opts.staTables, ctx);
      if (tables === null) return;
      const key = parseKeyOrExit(opts.key, '--key', ctx);
      if (!key) return;
      try {
        const decoderKey = deriveDecoderKey(key);
        for (const t of tokens) {
          const d = decodeToken(t, { decoderKey, ea: key.ea, staTables: tables, baseDate: key.baseDate });
          ctx.stdout.write(`${JSON.stringify({ token: t, ...d }, jsonReplacer)}\n`);
          if (!d.ok || !d.crcOk) ctx.exitCode = 1;
        }
      } catch (err) {
        reportError(err, ctx);
      }
    });

  token
    .command('generate')
    .description('vend one token (or a key change set) for a person; prints one token per line')
    .requiredOption('--key <json>', 'meter key JSON')
    .option('--class <n>', '0 credit, 1 test, 2 management', '0')
    .option('--subclass <n>', 'token subclass', '0')
    .option('--amount <units>', 'class 0: kWh or m³')
    .option('--value <n>', 'class 2: watts (subclasses 0, 6) or raw value')
    .option('--mfr-code <n>', 'class 1: manufacturer code')
    .option('--control <hex>', 'class 1: control field (hex)')
    .option('--key-change <json>', 'vend a key change set to this new meter key instead')
    .option('--ro', 'key change with rollover (meter clears its TID memory)')
    .option('--tid <n>', 'token identifier (default: from --time)')
    .option('--time <iso>', 'vend time (default: now)')
    .option('--rnd <n>', 'RND 0..15 (default: random)')
    .option('--sta-tables <file>', 'STA table file for EA07 (default: $METERGATE_STA_TABLES)')
    .option('--grouped', 'print each token in groups of four digits (1234 5678 9012 3456 7890)')
    .action((opts: Record<string, string | boolean | undefined>) => {
      const tables = tablesOrExit(opts.staTables as string | undefined, ctx);
      if (tables === null) return;
      const key = parseKeyOrExit(opts.key as string, '--key', ctx);
      if (!key) return;
      const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));
      let req: Record<string, unknown>;
      if (opts.keyChange) {
        const newKey = parseKeyOrExit(opts.keyChange as string, '--key-change', ctx);
        if (!newKey) return;
        req = { key, newKey, token: { kind: 'keyChange', ro: opts.ro ? 1 : 0 } };
      } else {
        const cls = num(opts.class);
        const tok: Record<string, unknown> = { class: cls, subclass: num(opts.subclass) };
        if (cls === 0) tok.amount = num(opts.amount);
        if (cls === 1) Object.assign(tok, { mfrCode: num(opts.mfrCode), control: opts.control });
        if (cls === 2) tok.value = num(opts.value);
        req = {
          key,
          token: tok,
          rnd: opts.rnd !== undefined ? num(opts.rnd) : randomInt(16),
          ...(opts.tid !== undefined
            ? { tid: num(opts.tid) }
            : { time: (opts.time as string | undefined) ?? new Date().toISOString() }),
        };
      }
      try {
        for (const t of tokensForRequest(req, { staTables: tables }))
          ctx.stdout.write(`${opts.grouped ? formatTokenDigits(t) : t}\n`);
      } catch (err) {
        reportError(err, ctx);
      }
    });

  token
    .command('openpaygo')
    .description(
      'OpenPAYGO Token: JSON lines on stdin (serial_number, starting_code, key, count, token_type, value_raw, ' +
        'restricted_digit_set, extended_token) → the same object with "token" and "new_count" per line',
    )
    .action(async () => {
      // The output is the input object itself (the vectors' schema), not wrapped with an id.
      await eachLine(ctx, (req) => openPaygoLine(req), { bare: true });
    });

  token
    .command('sta-tables')
    .description('write the clearly labelled TEST STA tables (never the production set) to a file')
    .requiredOption('--test', 'generate the test set (the only kind this command makes)')
    .requiredOption('--out <file>', 'output JSON file')
    .option('--seed <seed>', 'generator seed', 'metergate-test-tables')
    .action((opts: { out: string; seed: string }) => {
      const t = generateTestStaTables(opts.seed);
      writeFileSync(
        opts.out,
        `${JSON.stringify({ label: t.label, test: true, s1: t.s1, s2: t.s2, p: t.p }, null, 2)}\n`,
        { mode: 0o600 },
      );
      ctx.stdout.write(`${opts.out}: ${t.label}\n`);
    });
}

/** undefined = no tables configured; null = failed (already reported). */
function tablesOrExit(file: string | undefined, ctx: CliContext): StaTables | undefined | null {
  const path = file ?? ctx.env.METERGATE_STA_TABLES;
  if (!path) return undefined;
  try {
    return loadStaTables(path);
  } catch (err) {
    reportError(err, ctx);
    ctx.exitCode = 2;
    return null;
  }
}

function parseKeyOrExit(json: string, flag: string, ctx: CliContext): MeterKey | null {
  try {
    return JSON.parse(json) as MeterKey;
  } catch {
    // JSON.parse messages quote the input, which holds the vending key.
    ctx.stderr.write(`MG_ERR_TOKEN_REQUEST: ${flag} is not valid JSON\n`);
    ctx.exitCode = 2;
    return null;
  }
}

function errorBody(err: unknown): { code: string; message: string; field?: string } {
  if (err instanceof TokenEngineError) {
    // Field-level errors say `field "name"`: give the name on its own for scripts.
    const field = /field "([a-z_]+)"/.exec(err.message)?.[1];
    return field ? { code: err.code, message: err.message, field } : { code: err.code, message: err.message };
  }
  // Unexpected: do not echo a message that might carry input; the name is enough to file a bug.
  return { code: 'MG_ERR_TOKEN_INTERNAL', message: `unexpected ${(err as Error)?.name ?? 'error'}` };
}

function reportError(err: unknown, ctx: CliContext): void {
  const { code, message } = errorBody(err);
  ctx.stderr.write(`${code}: ${message}\n`);
  ctx.exitCode = 1;
}

/**
 * One output line per input line. `bare`: the handler's object as it is, and an error line
 * `{"line": n, "serial_number"?: …, "error": {code, message, field?}}`; otherwise `{"id", …}`.
 */
async function eachLine(
  ctx: CliContext,
  handle: (req: unknown) => Record<string, unknown>,
  opts: { bare?: boolean } = {},
): Promise<void> {
  const rl = createInterface({ input: ctx.stdin, crlfDelay: Infinity });
  let n = 0;
  let failed = false;
  // A reader that goes away (`| head`) ends the batch quietly instead of crashing on EPIPE.
  let closed = false;
  const onError = (): void => {
    closed = true;
    rl.close();
  };
  ctx.stdout.on('error', onError);
  for await (const line of rl) {
    if (closed) break;
    n++;
    if (line.trim() === '') continue;
    let id: unknown = null;
    let serial: unknown = null;
    let out: Record<string, unknown>;
    try {
      let req: unknown;
      try {
        req = JSON.parse(line);
      } catch {
        throw new TokenEngineError('MG_ERR_TOKEN_REQUEST', `line ${n} is not valid JSON`);
      }
      if (req && typeof req === 'object' && 'id' in req) id = (req as { id: unknown }).id;
      if (opts.bare && req && typeof req === 'object' && 'serial_number' in req)
        serial = (req as { serial_number: unknown }).serial_number;
      out = opts.bare ? handle(req) : { id, ...handle(req) };
    } catch (err) {
      failed = true;
      out = opts.bare
        ? { line: n, ...(typeof serial === 'string' ? { serial_number: serial } : {}), error: errorBody(err) }
        : { id, error: errorBody(err) };
    }
    if (!ctx.stdout.write(`${JSON.stringify(out)}\n`) && !closed) {
      await new Promise<void>((resolve) => {
        ctx.stdout.once('drain', resolve);
        ctx.stdout.once('error', () => resolve());
      });
    }
  }
  ctx.stdout.off('error', onError);
  ctx.exitCode = failed || closed ? 1 : 0;
}

/** Key change tokens carry the new decoder key: its words (and the raw block) are never printed. */
const KEY_WORDS = new Set(['nkho', 'nklo', 'nkmo1', 'nkmo2']);

function jsonReplacer(this: unknown, k: string, v: unknown): unknown {
  if (KEY_WORDS.has(k)) return '[hidden]';
  if (k === 'block' && this && typeof this === 'object' && 'keyChange' in this) return '[hidden]';
  return typeof v === 'bigint' ? `0x${v.toString(16)}` : v;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../../token-engine/index.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresDatabase, type SqlDatabase } from '../../platform/index.js';
import { buildWorld, type World } from './test-fixtures/world.js';

const SCRIPT = fileURLToPath(new URL('./test-fixtures/crash-server.ts', import.meta.url));

let db: SqlDatabase;
let world: World;
let url: string;
let drop: () => Promise<void>;
const children = new Set<ChildProcess>();

function startServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number; exited: Promise<NodeJS.Signals | number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, DATABASE_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(signal ?? code);
    }),
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), exited });
    });
    void exited.then((how) =>
      reject(new Error(`crash server exited (${String(how)}) before listening: ${err}`)),
    );
  });
}

async function vendOver(port: number, body: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/api/vend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': world.keys.vendor },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  const t = await createTestDatabase('mg_vendcrash');
  url = t.url;
  drop = t.drop;
  db = await new PostgresDatabase({ url }).start();
  world = await buildWorld(db, { meters: 1 });
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await world?.service.stop();
  await db?.close();
  await drop?.();
});

describe('crash between ledger commit and response (kill -9)', () => {
  it('replays the committed token on retry after restart: no orphan, no duplicate', async () => {
    const request = { meterId: 'M1', amount: 75, requestId: 'crash-1' };
    const doomed = await startServer({ MG_CRASH_AFTER_COMMIT: 'crash-1' });
    await expect(vendOver(doomed.port, request)).rejects.toThrow();
    expect(await doomed.exited).toBe('SIGKILL');

    // The vend committed before the kill: exactly one vend and one token exist.
    const committed = await db.query<{ digits: string }>(
      `SELECT t.digits FROM tokens t JOIN vends v ON v.id = t.vend_id WHERE v.request_id = 'crash-1'`,
    );
    expect(committed.rows).toHaveLength(1);

    const server = await startServer({});
    try {
      const retry = await vendOver(server.port, request);
      expect(retry.status).toBe(200);
      const body = (await retry.json()) as { token: string; replayed?: boolean };
      expect(body.token).toBe(committed.rows[0]!.digits);
      expect(body.replayed).toBe(true);
      const after = await db.query<{ n: number }>(`SELECT count(*) AS n FROM tokens WHERE meter_id = 'M1'`);
      expect(after.rows[0]!.n).toBe(1);
      expect(
        new MeterDecoder({ meterKey: world.meters[0]!.key }).enter(body.token, new Date()),
      ).toMatchObject({ ok: true });
      // And the next vend after the crash gets the next TID, not a reused one.
      const next = (await (await vendOver(server.port, { ...request, requestId: 'crash-2' })).json()) as {
        tokens: Array<{ tid: number }>;
      };
      const first = await db.query<{ tid: number }>(`SELECT tid FROM tokens WHERE digits = $1`, [body.token]);
      expect(next.tokens[0]!.tid).toBeGreaterThan(first.rows[0]!.tid);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);
});

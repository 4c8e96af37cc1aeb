/**
 * The prepaid chain against a running gateway, shared by the in-process and the distributed tests:
 * vend over HTTP → token over MQTT `cmd/token` → the simulated meter accepts → the ledger marks the
 * token accepted (from the meter's event) → credit rises → consumption lowers it (simulated hours) →
 * `credit.low` on the gateway's live stream → a kWh advance for the low-income household → the next
 * purchase recovers part of it → the statement balances, and agrees with what the meter accepted.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { SIGNATURE_HEADER, verifyWebhook } from '../../../gateway/platform/notify/index.js';
import type { MqttPrepaidMeter, SimClock } from '../../../simulators/index.js';
import { getJson, postJson, waitFor, type MeterRow } from './http.js';
import { openSse, type SseStream } from './sse.js';

const HOUR = 3_600_000;

export interface PrepaidChainOptions {
  /** Gateway base URL. */
  url: string;
  keys: { operator: string; vendor: string };
  customerId: string;
  /** Started, connected to the gateway's broker, driven by `clock`, with no credit yet. */
  meter: MqttPrepaidMeter;
  clock: SimClock;
  /** Low-credit threshold the meter was built with (kWh). */
  lowCreditKwh: number;
  /** The gateway's ledger database. */
  query<T>(sql: string, params: unknown[]): Promise<{ rows: T[] }>;
  /** Request ids must be unique per ledger. */
  run: string;
}

interface IssueBody {
  vendId: string;
  kind: string;
  token: string;
  tokens: { digits: string; units: number }[];
}

interface StatementBody {
  social: boolean;
  purchases: { vendId: string; units: number; money: number; debtRecovered: number }[];
  advances: { vendId: string; units: number; value: number }[];
  recoveries: { vendId: string; amount: number }[];
  balance: {
    advanced: number;
    recovered: number;
    debt: number;
    purchased: number;
    unitsPurchased: number;
    unitsAdvanced: number;
  };
}

export async function runPrepaidChain(o: PrepaidChainOptions): Promise<void> {
  const { url, keys, customerId, meter, clock } = o;
  const METER = meter.id;
  let live: SseStream | undefined;
  // The customer's webhook endpoint: the low-credit warning must reach the customer, not only the gateway.
  const hooks: Array<{ body: string; signature: string }> = [];
  const webhookSecret = randomBytes(24).toString('hex');
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers[SIGNATURE_HEADER]),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const tokenStatus = async (digits: string) =>
    (
      await o.query<{ status: string }>('SELECT status FROM tokens WHERE meter_id = $1 AND digits = $2', [
        METER,
        digits,
      ])
    ).rows[0]?.status;
  const waitAccepted = (digits: string) =>
    waitFor(
      `token ${digits} accepted in the ledger`,
      async () => ((await tokenStatus(digits)) === 'accepted' ? true : undefined),
      20_000,
      100,
    );
  try {
    expect(meter.credit).toBe(0);
    expect(meter.relayState).toBe('disconnected');
    live = await openSse(`${url}/api/live?meter=${METER}`, keys.operator);
    const prefs = await fetch(`${url}/api/customers/${customerId}/notification-preferences`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': keys.operator },
      body: JSON.stringify({
        language: 'fr',
        channels: ['webhook'],
        webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
        webhookSecret,
      }),
    });
    expect(prefs.status).toBe(200);

    // 1. A vendor sells 40 MAD of electricity over HTTP.
    const vend = await postJson<IssueBody>(`${url}/api/vend`, keys.vendor, {
      meterId: METER,
      amount: 40,
      requestId: `${o.run}-vend-1`,
    });
    expect(vend.status, JSON.stringify(vend.body)).toBe(200);
    const firstUnits = vend.body.tokens[0]!.units;
    expect(firstUnits).toBeGreaterThan(0);

    // 2. The token travels over MQTT cmd/token; the meter's decoder accepts it, its event marks the
    //    token accepted in the ledger, and the live stream shows the event.
    await waitAccepted(vend.body.token);
    await live.waitFor(
      (e) => e.type === 'event' && e.data.kind === 'token.accepted' && e.data.token === vend.body.token,
      10_000,
      'token.accepted event',
    );
    // 3. Credit rises by exactly the token's units; the relay closes.
    expect(meter.credit).toBeCloseTo(firstUnits, 3);
    expect(meter.relayState).toBe('connected');

    // 4. Consumption lowers it: simulated hours pass, each tick draws credit and publishes a reading.
    const afterVend = meter.credit;
    for (let h = 0; h < 24 * 30 && meter.credit >= o.lowCreditKwh; h++) {
      clock.fastForward(HOUR);
      meter.tick();
    }
    expect(meter.credit).toBeLessThan(afterVend);
    expect(meter.credit).toBeLessThan(o.lowCreditKwh);
    expect(meter.energy).toBeGreaterThan(afterVend - o.lowCreditKwh - 0.001);

    // 5. The low-credit warning reaches the gateway (live stream of meter events).
    const low = await live.waitFor(
      (e) => e.type === 'event' && e.data.kind === 'credit.low',
      15_000,
      'credit.low event',
    );
    expect(low.data.meterId ?? low.data.meter).toBe(METER);
    expect(Number(low.data.credit)).toBeLessThan(o.lowCreditKwh);
    // …and the customer: one signed low-credit notification on their webhook, in French.
    await waitFor('low-credit webhook', async () => (hooks.length ? true : undefined), 20_000, 100);
    const hook = hooks[0]!;
    expect(verifyWebhook(webhookSecret, hook.signature, hook.body)).toBe(true);
    const note = JSON.parse(hook.body) as {
      kind: string;
      customerId: string;
      text: string;
      data: { meterId: string };
    };
    expect(note).toMatchObject({ kind: 'low_credit', customerId, data: { meterId: METER } });
    expect(note.text).toMatch(/Crédit|crédit/);
    // Readings published by the meter went through ingest: its register is on /api/meters.
    const energyAtLow = Math.round(meter.energy * 1000) / 1000;
    await waitFor(
      `${METER} last reading at the drained register`,
      async () => {
        const r = await getJson<MeterRow[]>(`${url}/api/meters`, keys.operator);
        const row = r.body.find((m) => m.id === METER);
        return row?.lastReading?.values['1-0:1.8.0'] === energyAtLow ? true : undefined;
      },
      15_000,
    );

    // 6. The household is in the social programme: an operator grants a 10 kWh advance.
    const creditBeforeAdvance = meter.credit;
    const advance = await postJson<IssueBody>(`${url}/api/advances`, keys.operator, {
      meterId: METER,
      units: 10,
      requestId: `${o.run}-advance-1`,
    });
    expect(advance.status, JSON.stringify(advance.body)).toBe(200);
    expect(advance.body.kind).toBe('advance');
    await waitAccepted(advance.body.token);
    expect(meter.credit).toBeCloseTo(creditBeforeAdvance + 10, 3);
    const afterAdvance = await getJson<StatementBody>(
      `${url}/api/customers/${customerId}/statement`,
      keys.operator,
    );
    expect(afterAdvance.body.balance.debt).toBeGreaterThan(0);
    const debtBefore = afterAdvance.body.balance.debt;

    // 7. The next purchase (20 MAD) recovers part of the advance: the programme takes 25 % of the
    //    payment, 5 MAD, less than the advance is worth (10 kWh at the social block price, taxed).
    const creditBeforeSecond = meter.credit;
    const second = await postJson<IssueBody>(`${url}/api/vend`, keys.vendor, {
      meterId: METER,
      amount: 20,
      requestId: `${o.run}-vend-2`,
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    await waitAccepted(second.body.token);
    const secondUnits = second.body.tokens[0]!.units;
    expect(secondUnits).toBeGreaterThan(0);
    expect(meter.credit).toBeCloseTo(creditBeforeSecond + secondUnits, 3);

    // 8. The statement balances.
    const st = await getJson<StatementBody>(`${url}/api/customers/${customerId}/statement`, keys.operator);
    expect(st.status).toBe(200);
    const b = st.body.balance;
    expect(st.body.social).toBe(true);
    expect(st.body.purchases).toHaveLength(2);
    expect(st.body.advances).toHaveLength(1);
    expect(st.body.recoveries.length).toBeGreaterThanOrEqual(1);
    expect(b.recovered).toBeGreaterThan(0);
    expect(b.recovered).toBeLessThan(b.advanced); // part of it, not all
    expect(b.debt).toBeLessThan(debtBefore);
    expect(b.debt).toBeGreaterThanOrEqual(0);
    expect(b.advanced - b.recovered).toBeCloseTo(b.debt, 2);
    expect(st.body.purchases[0]!.debtRecovered).toBe(0);
    expect(st.body.purchases[1]!.debtRecovered).toBeCloseTo(0.25 * 20, 2);
    expect(b.recovered).toBeCloseTo(0.25 * 20, 2);
    expect(b.unitsAdvanced).toBeCloseTo(10, 5);
    expect(b.unitsPurchased).toBeCloseTo(firstUnits + secondUnits, 5);
    // Units issued = purchased + advanced, and the meter agrees: what it holds plus what it has
    // consumed is exactly what its decoder accepted.
    const { rows } = await o.query<{ units: number; n: number; accepted: number }>(
      `SELECT sum(units)::float8 AS units, count(*)::int AS n, count(*) FILTER (WHERE status = 'accepted')::int AS accepted
         FROM tokens WHERE meter_id = $1 AND token_class = 0`,
      [METER],
    );
    expect(rows[0]!.n).toBe(3);
    expect(rows[0]!.accepted).toBe(3);
    expect(rows[0]!.units).toBeCloseTo(b.unitsPurchased + b.unitsAdvanced, 5);
    expect(meter.credit + meter.energy).toBeCloseTo(b.unitsPurchased + b.unitsAdvanced, 2);
    // Redelivery or a second look never notifies twice for the same warning.
    expect(hooks.length).toBe(1);
  } finally {
    live?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  }
}

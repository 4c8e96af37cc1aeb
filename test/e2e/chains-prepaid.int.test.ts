/**
 * The prepaid chain, end to end in one process with real components: an MQTT broker (aedes on a
 * loopback port), the gateway composition root `GatewayStack` (PGlite in a temp dir, MQTT bus,
 * ingest, vending with MQTT token delivery, live stream) and the simulators' `MqttPrepaidMeter`
 * (an STS meter-side decoder behind MQTT), on a simulated clock that is fast-forwarded to drain
 * credit. Everything the test does to the gateway goes over HTTP with role API keys:
 *
 * vend → token on `cmd/token` → the meter accepts → ledger token status `accepted` (via the meter's
 * event) → credit rises → consumption lowers it → `credit.low` reaches the gateway's live stream →
 * kWh advance for the low-income household → next purchase recovers part of it → statement balances.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoLedger } from '../../cli/demo/demo-ledger.js';
import { resolveConfig } from '../../cli/config/index.js';
import { createLogger } from '../../cli/logger.js';
import { GatewayStack } from '../../cli/stack/index.js';
import { startTestBroker } from '../../gateway/ingest/test-broker.js';
import { AesGcmSecurityModule, KeyVault } from '../../gateway/vending/index.js';
import { MqttPrepaidMeter, SimClock } from '../../simulators/index.js';
import { freePort } from '../support/services.js';
import { getJson, postJson, waitFor, type MeterRow } from './support/http.js';
import { removeTempDirs, tempDir } from './support/processes.js';
import { openSse, type SseStream } from './support/sse.js';

const METER = 'PP-001';
const HOUR = 3_600_000;

interface IssueBody {
  vendId: string;
  kind: string;
  customerId: string;
  token: string;
  tokens: { digits: string; units: number }[];
  receipt: Record<string, unknown>;
}

interface StatementBody {
  customerId: string;
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

describe('prepaid chain: vend → MQTT token → meter → low credit → advance → recovery → statement', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let stack: GatewayStack;
  let meter: MqttPrepaidMeter;
  let live: SseStream | undefined;
  let keys: { admin: string; operator: string; vendor: string };
  let customerId: string;
  let url: string;
  const clock = new SimClock({ acceleration: 1 });

  beforeAll(async () => {
    broker = await startTestBroker();
    const securityModule = AesGcmSecurityModule.fromEnv({
      METERGATE_MASTER_KEY: randomBytes(32).toString('hex'),
    });
    const config = resolveConfig(
      {
        dataDir: tempDir('prepaid'),
        http: { host: '127.0.0.1', port: await freePort() },
        mqtt: { url: broker.url },
      },
      'e2e-prepaid',
      {},
    );
    stack = await new GatewayStack({
      config,
      securityModule,
      logger: createLogger('warn'),
      dashboards: false,
      mqttClientId: `e2e-prepaid-${randomBytes(3).toString('hex')}`,
    }).start();
    url = stack.url!;
    // Ledger: the social programme (25 % recovery), customer CUST-001 flagged low-income, meter PP-001
    // connected with a random vending key sealed in the vault, role API keys.
    const seeded = await seedDemoLedger(stack.gateway!.db!, new KeyVault(securityModule), [METER]);
    keys = seeded.keys;
    customerId = seeded.prepaid[0]!.customerId;
    // The meter is "manufactured" with the key the vault holds; it reads nothing else from the gateway.
    meter = new MqttPrepaidMeter({
      meterId: METER,
      meterKey: seeded.prepaid[0]!.key,
      brokerUrl: broker.url,
      clock,
      // Ticks are driven by the test (one per simulated hour), not by the timer.
      readingIntervalMs: 24 * HOUR,
      powerScale: 5,
      lowCreditKwh: 5,
    });
    await meter.start();
  }, 120_000);

  afterAll(async () => {
    live?.close();
    await meter?.stop();
    await stack?.stop();
    await broker?.stop();
    removeTempDirs();
  });

  async function tokenStatus(digits: string): Promise<string | undefined> {
    const { rows } = await stack.gateway!.db!.query<{ status: string }>(
      'SELECT status FROM tokens WHERE meter_id = $1 AND digits = $2',
      [METER, digits],
    );
    return rows[0]?.status;
  }

  async function waitAccepted(digits: string): Promise<void> {
    await waitFor(
      `token ${digits} accepted in the ledger`,
      async () => ((await tokenStatus(digits)) === 'accepted' ? true : undefined),
      15_000,
      100,
    );
  }

  it('runs the whole prepaid chain and the statement balances', async () => {
    expect(meter.credit).toBe(0);
    expect(meter.relayState).toBe('disconnected');
    live = await openSse(`${url}/api/live?meter=${METER}`, keys.operator);

    // 1. A vendor sells 40 MAD of electricity over HTTP.
    const vend = await postJson<IssueBody>(`${url}/api/vend`, keys.vendor, {
      meterId: METER,
      amount: 40,
      requestId: 'e2e-vend-1',
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
    for (let h = 0; h < 24 * 30 && meter.credit >= 5; h++) {
      clock.fastForward(HOUR);
      meter.tick();
    }
    expect(meter.credit).toBeLessThan(afterVend);
    expect(meter.credit).toBeLessThan(5);
    expect(meter.energy).toBeGreaterThan(afterVend - 5 - 0.001);

    // 5. The low-credit warning reaches the gateway (live stream of meter events).
    const low = await live.waitFor(
      (e) => e.type === 'event' && e.data.kind === 'credit.low',
      15_000,
      'credit.low event',
    );
    expect(low.data.meterId ?? low.data.meter).toBe(METER);
    expect(Number(low.data.credit)).toBeLessThan(5);
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
      requestId: 'e2e-advance-1',
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
      requestId: 'e2e-vend-2',
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
    const { rows } = await stack.gateway!.db!.query<{ units: number; n: number; accepted: number }>(
      `SELECT sum(units)::float8 AS units, count(*)::int AS n, count(*) FILTER (WHERE status = 'accepted')::int AS accepted
         FROM tokens WHERE meter_id = $1 AND token_class = 0`,
      [METER],
    );
    expect(rows[0]!.n).toBe(3);
    expect(rows[0]!.accepted).toBe(3);
    expect(rows[0]!.units).toBeCloseTo(b.unitsPurchased + b.unitsAdvanced, 5);
    expect(meter.credit + meter.energy).toBeCloseTo(b.unitsPurchased + b.unitsAdvanced, 2);
  });
});

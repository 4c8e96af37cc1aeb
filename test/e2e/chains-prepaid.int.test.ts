/**
 * The prepaid chain, end to end in one process with real components: an MQTT broker (aedes on a
 * loopback port), the gateway composition root (`gatewayFromConfig`) (PGlite in a temp dir, MQTT bus,
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
import { gatewayFromConfig } from '../../cli/stack/index.js';
import type { Gateway } from '../../gateway/index.js';
import { startTestBroker } from '../../gateway/platform/bus/test-broker.js';
import { AesGcmSecurityModule, KeyVault } from '../../gateway/prepaid/vending/index.js';
import { MqttPrepaidMeter, SimClock } from '../../simulators/index.js';
import { freePort } from '../support/services.js';
import { removeTempDirs, tempDir } from './support/processes.js';
import { runPrepaidChain } from './support/prepaid-chain.js';

const METER = 'PP-001';
const HOUR = 3_600_000;

const LOW_CREDIT_KWH = 5;

describe('prepaid chain: vend → MQTT token → meter → low credit → advance → recovery → statement', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let gateway: Gateway;
  let meter: MqttPrepaidMeter;
  let keys: { admin: string; operator: string; vendor: string };
  let customerId: string;
  let url: string;
  // Up to a month is fast-forwarded to drain the credit: start a month back, so the meter's
  // readings never lie in the future (ingest dead-letters readings more than 5 min ahead).
  const clock = new SimClock({ acceleration: 1, start: Date.now() - 31 * 86_400_000 });

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
        // The test's webhook receiver listens on loopback over http.
        notify: { webhook: { allowHttp: true, allowPrivateAddresses: true } },
      },
      'e2e-prepaid',
      {},
    );
    gateway = gatewayFromConfig(config, {
      securityModule,
      logger: createLogger('warn'),
      dashboards: false,
      mqttClientId: `e2e-prepaid-${randomBytes(3).toString('hex')}`,
    });
    await gateway.start();
    url = gateway.url!;
    // Ledger: the social programme (25 % recovery), customer CUST-001 flagged low-income, meter PP-001
    // connected with a random vending key sealed in the vault, role API keys.
    const seeded = await seedDemoLedger(gateway.db!, new KeyVault(securityModule), [METER]);
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
      lowCreditKwh: LOW_CREDIT_KWH,
    });
    await meter.start();
  }, 120_000);

  afterAll(async () => {
    await meter?.stop();
    await gateway?.stop();
    await broker?.stop();
    removeTempDirs();
  });

  it('runs the whole prepaid chain and the statement balances', async () => {
    expect(meter.credit).toBe(0);
    await runPrepaidChain({
      url,
      keys,
      customerId,
      meter,
      clock,
      lowCreditKwh: LOW_CREDIT_KWH,
      query: (sql, params) => gateway.db!.query(sql, params),
      run: 'e2e-inproc',
    });
  });
});

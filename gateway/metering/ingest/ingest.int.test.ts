import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { SERVICES, requireInflux, requireMosquitto } from '../../../test/support/services.js';
import { PgliteDatabase, PostgresDatabase } from '../../platform/index.js';
import { InfluxReadingStore, SqlReadingStore } from '../readings/index.js';
import { describeIngest } from './conformance.js';
import { startTestBroker } from '../../platform/bus/test-broker.js';

// The same ingest suite over each real store; the broker is the real, independent Mosquitto 2
// (MQTT 5: shared subscription, Receive Maximum) for two runs and aedes (MQTT 3.1.1) for one.

describeIngest('PostgreSQL store, Mosquitto (MQTT 5)', async () => {
  await requireMosquitto();
  const t = await createTestDatabase('mg_ingest');
  const db = await new PostgresDatabase({ url: t.url }).start();
  return {
    db,
    store: new SqlReadingStore({ db }),
    brokerUrl: SERVICES.mqtt,
    async dispose() {
      await db.close();
      await t.drop();
    },
  };
});

describeIngest('InfluxDB store, Mosquitto (MQTT 5)', async () => {
  await requireMosquitto();
  await requireInflux();
  const db = await new PgliteDatabase().start();
  const store = new InfluxReadingStore({
    url: SERVICES.influx,
    database: `mg_ingest_${randomBytes(4).toString('hex')}`,
  });
  return {
    db,
    store,
    brokerUrl: SERVICES.mqtt,
    async dispose() {
      await store.drop();
      await db.close();
    },
  };
});

describeIngest('PGlite store, aedes (MQTT 3.1.1)', async () => {
  const broker = await startTestBroker();
  const db = await new PgliteDatabase().start();
  return {
    db,
    store: new SqlReadingStore({ db }),
    brokerUrl: broker.url,
    async dispose() {
      await db.close();
      await broker.stop();
    },
  };
});

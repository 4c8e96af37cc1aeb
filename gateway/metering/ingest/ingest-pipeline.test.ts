import { PgliteDatabase } from '../../platform/index.js';
import { SqlReadingStore } from '../readings/index.js';
import { describeIngest } from './conformance.js';
import { startTestBroker } from '../../platform/bus/test-broker.js';

describeIngest('PGlite store, in-process aedes (MQTT 3.1.1)', async () => {
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

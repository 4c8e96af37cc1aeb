import Fastify, { type FastifyInstance } from 'fastify';
import { authPlugin, createApiKey, type SqlDatabase } from '../../platform/index.js';
import { BillingFeature, type BillingFeatureOptions } from '../billing-feature.js';
import type { OutboxMessage } from '../delivery/bill-delivery.js';

export interface BillingTestApp {
  app: FastifyInstance;
  billing: BillingFeature;
  sent: OutboxMessage[];
  key(role: 'operator' | 'customer', customerId?: string): Promise<string>;
  call(
    method: 'GET' | 'POST',
    url: string,
    key: string,
    payload?: unknown,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  ): Promise<{ statusCode: number; json: () => any; body: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** The billing feature behind the real auth plugin, its outbox captured in `sent`. */
export async function billingTestApp(
  db: SqlDatabase,
  options: Partial<BillingFeatureOptions> = {},
): Promise<BillingTestApp> {
  const sent: OutboxMessage[] = [];
  const billing = new BillingFeature({
    db,
    send: async (m) => {
      sent.push(m);
      return { id: `out-${sent.length}`, status: 'queued' };
    },
    publicUrl: 'https://agence.example.ma',
    linkSecret: 'test-link-secret',
    providerSecret: 'test-provider-secret',
    deliveryEveryMs: false,
    autoRunEveryMs: false,
    ...options,
  });
  await billing.start();
  const app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  await app.register(authPlugin, { db, rateLimit: false });
  await app.register(billing.feature.plugin, billing.feature.options);
  await app.ready();
  return {
    app,
    billing,
    sent,
    key: async (role, customerId) =>
      (await createApiKey(db, { role, ...(customerId ? { customerId } : {}) })).key,
    call: (method, url, key, payload) =>
      app.inject({
        method,
        url,
        headers: key ? { 'x-api-key': key } : {},
        ...(payload ? { payload: payload as object } : {}),
      }),
    async close() {
      await app.close();
      await billing.stop();
    },
  };
}

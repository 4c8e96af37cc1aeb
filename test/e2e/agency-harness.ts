/**
 * The online agency on real components for the agency tests: a fresh PostgreSQL database, the
 * billing domain with bills issued by real billing runs, the message outbox (SMS and e-mail recorded
 * `outbox-only`, read back through GET /api/outbox), and the gateway's HTTP app (helmet, deny-by-
 * default auth) with the billing, outbox and agency plugins.
 */
import net from 'node:net';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { AgencyFeature } from '../../gateway/customers/agency/index.js';
import {
  BillingFeature,
  EXAMPLE_POSTPAID_ELECTRICITY,
  createContract,
  createPostpaidCustomer,
} from '../../gateway/billing/index.js';
import { migrateBilling, measuredIndex } from '../../gateway/billing/testing/world.js';
import {
  MessageOutbox,
  NOTIFY_MIGRATIONS,
  PostgresDatabase,
  createApiKey,
  authPlugin,
  outboxPlugin,
  runMigrations,
} from '../../gateway/platform/index.js';
import {
  ANALYTICS_MIGRATIONS,
  SelfReadingService,
  SqlAnomalyStore,
  SqlRollupStore,
} from '../../gateway/metering/index.js';
import { createTestDatabase } from '../support/postgres.js';

export const AGENCY_NOW = new Date('2026-08-10T09:00:00Z');
/** Months billed for the first customer: seven, so the default view shows the last six. */
export const BILLED_MONTHS = ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07'];

export interface DemoPerson {
  id: string;
  customerNumber: string;
  contract: string;
  meter: string;
  cin: string;
  birthDate: string;
  mobile: string;
  email: string;
}

export const PEOPLE: DemoPerson[] = [1, 2].map((n) => ({
  id: `agency-cust-${n}`,
  customerNumber: `70000${n}`,
  contract: `E-AG-00${n}`,
  meter: `M-AG-${n}`,
  cin: `BK12345${n}`,
  birthDate: `198${n}-04-1${n}`,
  mobile: `+21266100000${n}`,
  email: `client${n}@example.ma`,
}));

export interface AgencyWorld {
  app: FastifyInstance;
  agency: AgencyFeature;
  operatorKey: string;
  url: string;
  /** Moves the agency's and billing's clock forward (delays and locks without waiting). */
  advance: (ms: number) => void;
  close: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function agencyWorld(
  options: { listen?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<AgencyWorld> {
  const database = await createTestDatabase('agency');
  const db = await new PostgresDatabase({ url: database.url }).start();
  await migrateBilling(db);
  await runMigrations(db, NOTIFY_MIGRATIONS);
  await runMigrations(db, ANALYTICS_MIGRATIONS);
  for (const p of PEOPLE) {
    await createPostpaidCustomer(db, {
      id: p.id,
      customerNumber: p.customerNumber,
      civility: 'Mme',
      firstName: 'Salma',
      lastName: `Bennani${p.id.slice(-1)}`,
      cin: p.cin,
      birthDate: p.birthDate,
      mobile: p.mobile,
      email: p.email,
      language: 'fr',
    });
    await createContract(db, {
      number: p.contract,
      customerId: p.id,
      service: 'electricity',
      meterId: p.meter,
      tariffId: EXAMPLE_POSTPAID_ELECTRICITY.id,
      subscribedAt: '2025-12-01',
      initialIndex: 1000,
    });
  }
  let offsetMs = 0;
  const now = () => new Date(AGENCY_NOW.getTime() + offsetMs);
  const outbox = new MessageOutbox({ db, channels: [] });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const billing = await new BillingFeature({
    db,
    clock: now,
    send: (m) => outbox.send(m),
    publicUrl,
    autoRunEveryMs: false,
    deliveryEveryMs: false,
  }).start();
  let index = 1000;
  for (const month of BILLED_MONTHS) {
    index += 150 + BILLED_MONTHS.indexOf(month) * 20;
    const [y, m] = month.split('-').map(Number) as [number, number];
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    for (const p of PEOPLE) await measuredIndex(db, p.meter, last, index, 150);
    await billing.runner.execute((await billing.runner.create(month, 'test')).id);
  }
  const rollups = new SqlRollupStore({ db });
  const selfReadings = new SelfReadingService({ db, rollups });
  await selfReadings.start();
  const agency = await new AgencyFeature({
    db,
    send: (m) => outbox.send(m),
    env: options.env ?? { METERGATE_CAPTCHA_BYPASS: '1' },
    publicUrl,
    payments: { start: (i) => billing.startCheckout(i), session: (id) => billing.checkout.getSession(id) },
    metering: { rollups, selfReadings, anomalies: new SqlAnomalyStore({ db }) },
    now,
  }).start();
  // What buildGatewayApp does with these plugins (security headers, deny-by-default auth).
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } } });
  await app.register(helmet, { global: true });
  await app.register(authPlugin, { db, rateLimit: false });
  await app.register(billing.feature.plugin, billing.feature.options);
  await app.register(outboxPlugin, { outbox });
  await app.register(agency.feature.plugin, agency.feature.options);
  await app.register(dashboardsPlugin, { redirectRoot: false });
  if (options.listen) await app.listen({ host: '127.0.0.1', port });
  else await app.ready();
  const operatorKey = (await createApiKey(db, { role: 'operator' })).key;
  return {
    app,
    agency,
    operatorKey,
    url: publicUrl,
    advance: (ms) => {
      offsetMs += ms;
    },
    close: async () => {
      await app.close();
      await billing.stop();
      await db.close();
      await database.drop();
    },
  };
}

/** Registers `p` (CAPTCHA bypass), reads the password from the outbox, signs in; `change` replaces it. */
export async function signIn(
  w: AgencyWorld,
  p: DemoPerson,
  username: string,
  change = true,
): Promise<{ cookie: string; password: string }> {
  const reg = await w.app.inject({
    method: 'POST',
    url: '/api/agency/register',
    payload: {
      service: 'electricity',
      username,
      email: p.email,
      civility: 'Mme',
      lastName: 'Bennani',
      firstName: 'Salma',
      mobile: p.mobile,
      cin: p.cin,
      birthDate: p.birthDate,
      customerNumber: p.customerNumber,
      contractNumber: p.contract,
      captcha: 'bypass',
    },
  });
  if (reg.statusCode !== 201) throw new Error(`register: ${reg.body}`);
  const out = await w.app.inject({
    method: 'GET',
    url: `/api/outbox?to=${encodeURIComponent(p.mobile)}`,
    headers: { 'x-api-key': w.operatorKey },
  });
  const sms = (out.json().messages as { template: string; text: string }[]).find(
    (m) => m.template === 'agency_password',
  )!;
  let password = /provisoire ([^\s.]+)/.exec(sms.text)![1]!;
  const login = await w.app.inject({
    method: 'POST',
    url: '/api/agency/login',
    payload: { username, password },
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  if (change) {
    const next = `Nouveau-Secret-${username.length}-2026!`;
    const r = await w.app.inject({
      method: 'POST',
      url: '/api/agency/password',
      payload: { old: password, new: next },
      headers: { cookie },
    });
    if (r.statusCode !== 204) throw new Error(`password: ${r.body}`);
    password = next;
  }
  return { cookie, password };
}

/** A multipart/form-data body (fields, then files) for app.inject. */
export function multipartBody(
  fields: Record<string, string>,
  files: { name: string; filename: string; type: string; content: Buffer }[],
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----agency${Date.now().toString(36)}`;
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`,
      ),
      f.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A small valid PDF (one empty page). */
export const TINY_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

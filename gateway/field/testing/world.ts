import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { READINGS_MIGRATIONS, SqlReadingStore } from '../../metering/index.js';
import {
  authPlugin,
  createApiKey,
  NOTIFY_MIGRATIONS,
  PgliteDatabase,
  runMigrations,
  type MessageOutbox,
  type SqlDatabase,
} from '../../platform/index.js';
import type { VendingService } from '../../prepaid/index.js';
import { FieldFeature, type FieldPlugin } from '../field-feature.js';
import type { PointInput } from '../locations/location-import.js';

const inject = (app: FastifyInstance, request: InjectOptions) => app.inject(request);
type Injected = Awaited<ReturnType<typeof inject>>;

export interface FieldWorld {
  db: SqlDatabase;
  store: SqlReadingStore;
  field: FieldFeature;
  app: FastifyInstance;
  keys: { admin: string; operator: string };
  /** An authenticated request as the operator (or `key`). */
  call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, key?: string): Promise<Injected>;
  close(): Promise<void>;
}

/**
 * The field domain's test world: PGlite with metering's readings and notify's schema (`seed` adds
 * billing's, for the customers and contracts the field domain reads), the reading store, the feature with its routes
 * behind the auth plugin, and an admin and an operator key. `seed` runs before the feature starts.
 */
export async function fieldWorld(
  options: {
    outbox?: (db: SqlDatabase) => MessageOutbox;
    seed?: (db: SqlDatabase) => Promise<void>;
    /** Other domains' routes beside the field's (e.g. the agency's), given the started feature. */
    plugins?: (db: SqlDatabase, field: FieldFeature) => Promise<FieldPlugin[]>;
    /** Prepaid vending on the same database (after `seed`): prepaid exchanges move credit with it. */
    vending?: (db: SqlDatabase) => Promise<VendingService>;
  } = {},
): Promise<FieldWorld> {
  const db = await new PgliteDatabase().start();
  await runMigrations(db, [...READINGS_MIGRATIONS, ...NOTIFY_MIGRATIONS]);
  await options.seed?.(db);
  const store = new SqlReadingStore({ db });
  await store.start();
  const outbox = options.outbox?.(db);
  const vending = await options.vending?.(db);
  const field = await new FieldFeature({
    db,
    readings: store,
    detect: false,
    ...(outbox ? { outbox } : {}),
    ...(vending ? { vending } : {}),
  }).start();
  const app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  await app.register(authPlugin, { db, rateLimit: false });
  for (const p of [...field.plugins, ...((await options.plugins?.(db, field)) ?? [])])
    await app.register(p.plugin, p.options);
  await app.ready();
  const keys = {
    admin: (await createApiKey(db, { role: 'admin' })).key,
    operator: (await createApiKey(db, { role: 'operator' })).key,
  };
  return {
    db,
    store,
    field,
    app,
    keys,
    call: async (method, url, body, key = keys.operator) => {
      const request: InjectOptions = { method, url, headers: { 'x-api-key': key } };
      if (body !== undefined) request.payload = body as object;
      return inject(app, request);
    },
    close: async () => {
      await app.close();
      await field.stop();
      await store.stop();
      await db.close();
    },
  };
}

/** Connection points laid out as an import's lines (trusted: the meters need not be known). */
export async function layOut(field: FieldFeature, points: readonly PointInput[]): Promise<void> {
  await field.locations.import(
    { ok: true, points: points.map((point, i) => ({ line: i + 1, point })) },
    { trusted: true },
  );
}

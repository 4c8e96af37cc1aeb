import type { FastifyInstance } from 'fastify';
import { PgliteDatabase, type SqlDatabase } from '../../../platform/index.js';
import { recordFloatMovement, upsertVendor } from '../../vendors/vendors.js';
import { buildVendingApp } from './app.js';
import { buildWorld, type World } from './world.js';

/** What a vending HTTP test works on: an embedded ledger, its world of meters and keys, the app. */
export interface VendingBed {
  db: SqlDatabase;
  world: World;
  app: FastifyInstance;
}

/** Opens a bed: a fresh in-memory PGlite ledger, `buildWorld` with these options, the vending app. */
export async function openVendingBed(
  worldOptions: Parameters<typeof buildWorld>[1] = {},
  appOptions: Omit<Parameters<typeof buildVendingApp>[0], 'db' | 'service'> = {},
): Promise<VendingBed> {
  const db = await new PgliteDatabase().start();
  const world = await buildWorld(db, worldOptions);
  const app = await buildVendingApp({ db, service: world.service, ...appOptions });
  return { db, world, app };
}

/** Closes what `openVendingBed` opened, in reverse order; safe on a bed that failed half-way. */
export async function closeVendingBed(bed: Partial<VendingBed>): Promise<void> {
  await bed.app?.close();
  await bed.world?.service.stop();
  await bed.db?.close();
}

/** A mobile recharge agent `id` with `amount` MAD of float, topped up by an operator at `at`. */
export async function mobileAgentWithFloat(
  db: SqlDatabase,
  id: string,
  amount: number,
  at: Date,
): Promise<void> {
  await upsertVendor(db, { id, name: `Équipe mobile ${id}`, kind: 'mobile' });
  await recordFloatMovement(
    db,
    { id: 'key:op', role: 'operator' },
    id,
    { kind: 'top-up', requestId: 'tu', amount },
    at,
  );
}

/**
 * Clean stop (issue 21, items 8 and 12): `metergate demo` and `metergate gateway`, spawned as a user
 * runs them, stop by themselves on SIGTERM and on SIGINT within 10 s — the process exits 0, having
 * drained what it holds, instead of being killed — and what they wrote on disk is owner-only (the
 * PGlite database, the edge outbox: files 0600, directories 0700).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../gateway/platform/bus/test-broker.js';
import { freePort } from '../support/services.js';
import { removeTempDirs, spawnMetergate, stopAll, tempDir } from './support/processes.js';

/** The contract: a role stops within 10 s of the signal (the helper SIGKILLs it otherwise). */
const STOP_MS = 10_000;
const READY_MS = 150_000;

/** Every directory and regular file under `dir` whose mode lets anyone but the owner in. */
function notPrivate(dir: string): string[] {
  const bad: string[] = [];
  const walk = (path: string) => {
    const st = lstatSync(path);
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== 0o700) bad.push(`${path} ${mode.toString(8)}`);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (st.isFile() && (mode & 0o077) !== 0) {
      bad.push(`${path} ${mode.toString(8)}`);
    }
  };
  walk(dir);
  return bad;
}

describe('clean stop on SIGTERM and SIGINT', () => {
  afterAll(async () => {
    await stopAll();
    removeTempDirs();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`metergate demo stops on ${signal} within 10 s and leaves owner-only files`, async () => {
      const dataDir = tempDir(`stop-demo-${signal}`);
      const port = await freePort();
      const demo = spawnMetergate(`demo-${signal}`, [
        'demo',
        '--port',
        String(port),
        '--meters',
        '10',
        '--data-dir',
        dataDir,
      ]);
      await demo.waitForOutput(/metergate demo is running/, READY_MS);
      // The history backfill is still running behind the live system: the stop aborts it.
      const code = await demo.stop(signal, STOP_MS);
      expect(code, demo.stderr().slice(-2000)).toBe(0);
      expect(demo.stderr()).toContain('metergate demo: stopped');
      expect(notPrivate(join(dataDir, 'pglite'))).toEqual([]);
      expect(notPrivate(join(dataDir, 'edge-outbox'))).toEqual([]);
      expect(notPrivate(dataDir).filter((p) => !p.includes('.pty'))).toEqual([]);
    });

    it(`metergate gateway stops on ${signal} within 10 s and leaves owner-only files`, async () => {
      const broker = await startTestBroker();
      try {
        const dataDir = tempDir(`stop-gateway-${signal}`);
        const gateway = spawnMetergate(`gateway-${signal}`, ['gateway', '--port', String(await freePort())], {
          env: {
            MQTT_URL: broker.url,
            METERGATE_DATA_DIR: dataDir,
            DATABASE_URL: undefined,
            REDIS_URL: undefined,
            INFLUX_URL: undefined,
          },
        });
        await gateway.waitForOutput(/metergate gateway ready/, READY_MS);
        const code = await gateway.stop(signal, STOP_MS);
        expect(code, gateway.stderr().slice(-2000)).toBe(0);
        expect(notPrivate(dataDir)).toEqual([]);
      } finally {
        await broker.stop();
      }
    });
  }
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, parseObis } from '../../drivers/index.js';
import { requireCommand } from '../../test/support/services.js';
import { SimClock } from '../model/clock.js';
import { openPtyPair, type PtyPair } from '../testing/pty-pair.js';
import { DlmsSimulator } from './index.js';

/**
 * HDLC over a serial line (a socat pty pair standing in for the optical probe cable): the client
 * opens with IEC 62056-21 mode E, then HDLC; plain and with the LLS client.
 */
describe('DLMS over a serial line (pty pair)', () => {
  let dir: string;
  let pty: PtyPair;
  let sim: DlmsSimulator;
  beforeAll(async () => {
    requireCommand('socat');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-dlms-serial-'));
    pty = await openPtyPair(dir);
    sim = new DlmsSimulator({
      meters: 1,
      clock: new SimClock({ start: Date.parse('2026-05-05T05:05:00Z'), acceleration: 0 }),
    });
    await sim.start();
    await sim.serveSerial(pty.a);
  });
  afterAll(async () => {
    await sim?.stop();
    await pty?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const modeE of [true, false, true])
    it(`reads the clock and energy${modeE ? ' after a mode E opening' : ''}`, async () => {
      const s = await openSession({
        host: '',
        port: 0,
        serial: { path: pty.b },
        transport: 'hdlc',
        modeE,
        auth: 'low',
        password: Buffer.from('metergate'),
        timeoutMs: 3000,
      });
      const clock = await s.client.get({ classId: 8, ln: parseObis('0.0.1.0.0.255'), attribute: 2 });
      expect(clock.data.type).toBe('octet-string');
      const e = await s.client.get({ classId: 3, ln: parseObis('1.0.1.8.0.255'), attribute: 2 });
      expect(e.data).toMatchObject({ type: 'double-long-unsigned' });
      await s.close();
    });
});

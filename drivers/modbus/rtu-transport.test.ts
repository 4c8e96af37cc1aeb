import { describe, expect, it } from 'vitest';
import { RtuTransport } from './rtu-transport.js';

describe('RtuTransport without a device', () => {
  it('starts anyway and answers each read with a closed failure until the device appears', async () => {
    const t = new RtuTransport({ path: '/nonexistent/metergate-tty', baudRate: 9600 });
    await t.start();
    const r = await t.read({ unitId: 1, function: 4, address: 0, count: 2 });
    expect(r).toMatchObject({
      ok: false,
      kind: 'closed',
      reason: expect.stringContaining('/nonexistent/metergate-tty'),
    });
    await t.stop();
  });

  it('rejects RTU unit ids outside 1..247 as misuse', async () => {
    const t = new RtuTransport({ path: '/nonexistent/metergate-tty', baudRate: 9600 });
    await t.start();
    await expect(t.read({ unitId: 0, function: 3, address: 0, count: 1 })).rejects.toMatchObject({
      code: 'MG_ERR_DRIVER_REQUEST',
    });
    await expect(t.read({ unitId: 248, function: 3, address: 0, count: 1 })).rejects.toMatchObject({
      code: 'MG_ERR_DRIVER_REQUEST',
    });
    await t.stop();
  });
});

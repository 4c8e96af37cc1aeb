import fs from 'node:fs';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand } from '../../test/support/services.js';
import { startPtyPair, tempDir } from '../test-peers/peers.js';
import { IecClient } from './client.js';

// The meter side is literal bytes (METERS.md example, BCC 0x19 computed by hand there), written to
// the far end of a socat pty: nothing of our parser is used to produce them.
const IDENT = '/ISK5MT174-0001\r\n';
const BLOCK = Buffer.concat([
  Buffer.from([0x02]),
  Buffer.from('0.0.0(12345678)\r\n1.8.0(001234.567*kWh)\r\n2.8.0(000012.345*kWh)\r\n!\r\n', 'latin1'),
  Buffer.from([0x03, 0x19]),
]);

describe('IEC 62056-21 mode C client over a socat pty', () => {
  let dir: string;
  let pty: Awaited<ReturnType<typeof startPtyPair>>;
  let meter: SerialPort;
  let received: Buffer[] = [];
  let behave: (chunk: Buffer) => void = () => undefined;

  beforeAll(async () => {
    requireCommand('socat');
    dir = tempDir('mg-iec-');
    pty = await startPtyPair(dir);
    meter = new SerialPort({ path: pty.b, baudRate: 300, dataBits: 7, parity: 'even', autoOpen: false });
    await new Promise<void>((res, rej) => meter.open((e) => (e ? rej(e) : res())));
    meter.on('data', (chunk: Buffer) => {
      received.push(chunk);
      behave(chunk);
    });
  });

  afterAll(async () => {
    if (meter?.isOpen) await new Promise<void>((r) => meter.close(() => r()));
    await pty?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function meterReplies(block: Buffer, ident = IDENT): void {
    received = [];
    behave = () => {
      const all = Buffer.concat(received).toString('latin1');
      if (all === '/?!\r\n') meter.write(ident);
      if (all === `/?!\r\n\x06050\r\n`) meter.write(block);
    };
  }

  it('reads the data block: request, identification, ACK with baud 5, BCC-checked data, OBIS values', async () => {
    meterReplies(BLOCK);
    const client = new IecClient({ path: pty.a, timeoutMs: 3000 });
    const r = await client.poll();
    expect(r).toEqual({ ok: true, values: { '1-0:1.8.0': 1234.567, '1-0:2.8.0': 12.345 } });
    expect(Buffer.concat(received).toString('hex')).toBe(
      Buffer.from('/?!\r\n\x06050\r\n', 'latin1').toString('hex'),
    );
    expect(client.lastIdentification).toMatchObject({ manufacturer: 'ISK', baud: 9600, ident: 'MT174-0001' });
  });

  it('keeps billing-period values (`*NN`) as their own OBIS codes instead of overwriting the current register', async () => {
    // The historical value comes AFTER the current one, as Landis+Gyr and Iskra meters print them:
    // without value group F it overwrote 1.8.0 with last month's figure.
    const data = '1.8.0(001234.567*kWh)\r\n1.8.0*01(001100.000*kWh)\r\n1.8.0*02(000990.5*kWh)\r\n!\r\n';
    const body = Buffer.concat([Buffer.from(data, 'latin1'), Buffer.from([0x03])]);
    let x = 0;
    for (const b of body) x ^= b; // §6.3.5 BCC, written out here rather than taken from the parser
    meterReplies(Buffer.concat([Buffer.from([0x02]), body, Buffer.from([x])]));
    const r = await new IecClient({ path: pty.a, timeoutMs: 3000 }).poll();
    expect(r).toEqual({
      ok: true,
      values: { '1-0:1.8.0': 1234.567, '1-0:1.8.0*01': 1100, '1-0:1.8.0*02': 990.5 },
    });
  });

  it('tolerates an adapter that echoes every byte we send (half-duplex RS-485 / optical heads)', async () => {
    received = [];
    behave = (chunk) => {
      meter.write(chunk); // the echo reaches us before the meter's own answer
      const all = Buffer.concat(received).toString('latin1');
      if (all === '/?!\r\n') meter.write(IDENT);
      if (all === `/?!\r\n\x06050\r\n`) meter.write(BLOCK);
    };
    const r = await new IecClient({ path: pty.a, timeoutMs: 3000 }).poll();
    expect(r).toEqual({ ok: true, values: { '1-0:1.8.0': 1234.567, '1-0:2.8.0': 12.345 } });
  });

  it('sends the device address when configured', async () => {
    received = [];
    behave = () => undefined;
    const client = new IecClient({ path: pty.a, address: '12345678', timeoutMs: 300 });
    await client.poll();
    expect(Buffer.concat(received).toString('latin1').startsWith('/?12345678!\r\n')).toBe(true);
  });

  it.each([
    ['a wrong BCC', Buffer.concat([BLOCK.subarray(0, -1), Buffer.from([0x18])]), IDENT],
    ['a block without ETX', BLOCK.subarray(0, -2), IDENT],
    ['a garbage identification', BLOCK, 'hello meter\r\n'],
    ['line noise instead of a block', Buffer.from([0xff, 0x00, 0x13, 0x37, 0x02, 0x99]), IDENT],
  ])('%s yields no reading', async (_name, block, ident) => {
    meterReplies(block, ident);
    const client = new IecClient({ path: pty.a, timeoutMs: 800 });
    const r = await client.poll();
    expect(r.ok).toBe(false);
  });
});

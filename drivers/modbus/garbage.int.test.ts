import fs from 'node:fs';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand } from '../../test/support/services.js';
import { getModel } from '../catalogue/index.js';
import { ModbusReader } from '../edge/modbus-reader.js';
import { startPtyPair, tempDir } from '../test-peers/peers.js';
import { withCrc } from './crc16.js';
import { RtuTransport } from './rtu-transport.js';
import { TcpTransport } from './tcp-transport.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Deterministic noise (xorshift) so a failure replays. */
function noise(seed: number, n: number): Buffer {
  let x = seed || 1;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('garbage on a serial line (raw bytes written to the other end of a socat pty)', () => {
  let dir: string;
  let pty: Awaited<ReturnType<typeof startPtyPair>>;
  let transport: RtuTransport;
  let far: SerialPort;
  let reply: (request: Buffer) => Buffer | null = () => null;

  beforeAll(async () => {
    requireCommand('socat');
    dir = tempDir('mg-rtu-garbage-');
    pty = await startPtyPair(dir);
    transport = new RtuTransport({ path: pty.a, baudRate: 9600, timeoutMs: 250 });
    await transport.start();
    far = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => far.open((e) => (e ? rej(e) : res())));
    far.on('data', (req: Buffer) => {
      const out = reply(req);
      if (out) far.write(out);
    });
  });

  afterAll(async () => {
    await transport?.stop();
    if (far?.isOpen) await new Promise<void>((r) => far.close(() => r()));
    await pty?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const req = { unitId: 5, function: 4 as const, address: 0, count: 2 };
  const valid = withCrc(hex('05 04 04 4366 0000')); // 230.0 as float32

  it('a valid reply is read (control case)', async () => {
    reply = () => valid;
    const r = await transport.read(req);
    expect(r.ok && Array.from(r.registers)).toEqual([0x4366, 0]);
  });

  it.each([
    ['a wrong CRC', () => Buffer.from([...valid.subarray(0, 7), valid[7]! ^ 0xff, valid[8]!])],
    ['a truncated frame', () => valid.subarray(0, 6)],
    ['a reply from another unit', () => withCrc(hex('06 04 04 4366 0000'))],
    ['pure noise', () => noise(42, 40)],
    ['a wrong byte count with a valid CRC', () => withCrc(hex('05 04 02 4366'))],
    ['an over-long frame with a valid CRC for its length', () => withCrc(hex('05 04 06 4366 0000 0000'))],
  ])('%s never yields registers', async (_name, make) => {
    reply = make;
    const r = await transport.read(req);
    expect(r.ok).toBe(false);
  });

  it('finds the real reply after leading noise', async () => {
    reply = () => Buffer.concat([noise(7, 13), valid]);
    const r = await transport.read(req);
    expect(r.ok && Array.from(r.registers)).toEqual([0x4366, 0]);
  });

  it('100 rounds of random noise never produce a reading and never crash the driver', async () => {
    const reader = new ModbusReader({
      transport,
      unitId: 5,
      model: getModel('sdm630'),
      retries: 0,
      timeoutMs: 40,
    });
    let seed = 1;
    reply = (r) => noise(seed++, 1 + (r[0]! % 64) + (seed % 97));
    for (let i = 0; i < 100; i++) {
      const p = await reader.poll();
      expect(p.ok).toBe(false);
    }
    // Unsolicited noise between requests is discarded, not parsed.
    far.write(noise(99, 300));
    await new Promise((r) => setTimeout(r, 50));
    reply = () => valid;
    const r = await transport.read(req);
    expect(r.ok).toBe(true);
  });
});

describe('garbage from a Modbus TCP server', () => {
  let server: net.Server;
  let port: number;
  let mode: (frame: Buffer, sock: net.Socket) => void = () => undefined;

  beforeAll(async () => {
    server = net.createServer((sock) => {
      sock.on('data', (b) => mode(b, sock));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const req = { unitId: 1, function: 3 as const, address: 0, count: 2 };
  const mbap = (tid: number, proto: number, len: number, unit: number) => {
    const b = Buffer.alloc(7);
    b.writeUInt16BE(tid, 0);
    b.writeUInt16BE(proto, 2);
    b.writeUInt16BE(len, 4);
    b[6] = unit;
    return b;
  };

  it.each([
    ['random junk', (f: Buffer, s: net.Socket) => s.write(noise(f[1]! + 3, 50))],
    [
      'a wrong protocol id',
      (f: Buffer, s: net.Socket) =>
        s.write(Buffer.concat([mbap(f.readUInt16BE(0), 7, 7, 1), hex('0304 00010002')])),
    ],
    ['a length of 0', (f: Buffer, s: net.Socket) => s.write(mbap(f.readUInt16BE(0), 0, 0, 1))],
    [
      'a length beyond the 260-byte ADU',
      (f: Buffer, s: net.Socket) => s.write(mbap(f.readUInt16BE(0), 0, 4000, 1)),
    ],
    [
      'a truncated PDU, then close',
      (f: Buffer, s: net.Socket) => s.end(Buffer.concat([mbap(f.readUInt16BE(0), 0, 7, 1), hex('0304 00')])),
    ],
    [
      'a short register payload',
      (f: Buffer, s: net.Socket) =>
        s.write(Buffer.concat([mbap(f.readUInt16BE(0), 0, 5, 1), hex('0302 0001')])),
    ],
    [
      'a CRC-looking RTU frame instead of MBAP',
      (_f: Buffer, s: net.Socket) => s.write(withCrc(hex('01 03 04 0001 0002'))),
    ],
  ])('%s never yields registers and the next request still works', async (_name, bad) => {
    const t = new TcpTransport({ host: '127.0.0.1', port, timeoutMs: 200 });
    await t.start();
    mode = bad;
    expect((await t.read(req)).ok).toBe(false);
    mode = (f, s) => s.write(Buffer.concat([mbap(f.readUInt16BE(0), 0, 7, 1), hex('0304 0001 0002')]));
    const r = await t.read(req);
    expect(r.ok && Array.from(r.registers)).toEqual([1, 2]);
    await t.stop();
  });
});

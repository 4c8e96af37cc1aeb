import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getModel, decodePoint } from '../../drivers/index.js';
import type { FaultSpec } from '../model/faults.js';
import { SimulatedMeter } from '../model/simulated-meter.js';
import { ModbusTcpSimulator } from './tcp-server.js';

// A real server on loopback, driven with hand-built MBAP frames (bytes written out per the Modbus
// TCP implementation guide §3.1.3) so framing errors can be sent on purpose.
const NOW = Date.parse('2026-02-01T12:00:00Z');
const meter = (id: string, faults: FaultSpec[] = []) =>
  new SimulatedMeter({ id, model: 'sdm630', seed: 1, faults, clock: { now: () => NOW } });

function request(tid: number, unit: number, fn: number, address: number, count: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(6, 4);
  b[6] = unit;
  b[7] = fn;
  b.writeUInt16BE(address, 8);
  b.writeUInt16BE(count, 10);
  return b;
}

class Client {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly chunks: number[] = [];
  constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.chunks.push(d.length);
      this.buf = Buffer.concat([this.buf, d]);
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  /** The next complete MBAP frame, or undefined if none arrives within ms. */
  async frame(ms = 1000): Promise<Buffer | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.buf.length >= 6 && this.buf.length >= 6 + this.buf.readUInt16BE(4)) {
        const n = 6 + this.buf.readUInt16BE(4);
        const f = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return f;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}

describe('ModbusTcpSimulator', () => {
  let server: ModbusTcpSimulator | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    client?.socket.destroy();
    await server?.stop();
    server = undefined;
  });

  async function serve(meters: Map<number, SimulatedMeter>, unknownUnit?: 'ignore'): Promise<Client> {
    server = new ModbusTcpSimulator({
      host: '127.0.0.1',
      port: 0,
      meters,
      ...(unknownUnit ? { unknownUnit } : {}),
    });
    await server.start();
    client = await Client.connect(server.address.port);
    return client;
  }

  it('serves several unit ids on one port and echoes transaction ids of pipelined requests', async () => {
    const c = await serve(
      new Map([
        [1, meter('a')],
        [2, meter('b')],
      ]),
    );
    c.socket.write(Buffer.concat([request(0x1111, 1, 4, 0x00, 2), request(0x2222, 2, 4, 0x00, 2)]));
    const f1 = (await c.frame())!;
    const f2 = (await c.frame())!;
    expect(f1.readUInt16BE(0)).toBe(0x1111);
    expect(f2.readUInt16BE(0)).toBe(0x2222);
    expect([...f1.subarray(6, 9)]).toEqual([1, 4, 4]);
    const v = getModel('sdm630').points[0]!;
    const regs = (f: Buffer) => [f.readUInt16BE(9), f.readUInt16BE(11)];
    expect(decodePoint(v, regs(f1))).toBeCloseTo(meter('a').values()['1-0:32.7.0']!, 3);
    expect(decodePoint(v, regs(f2))).toBeCloseTo(meter('b').values()['1-0:32.7.0']!, 3);
  });

  it('answers exceptions 1, 2, 3 and 0x0B, or stays silent for unknown units if asked to', async () => {
    const c = await serve(new Map([[1, meter('a')]]));
    const exc = async (req: Buffer) => {
      c.socket.write(req);
      const f = (await c.frame())!;
      return [f[7], f[8]];
    };
    expect(await exc(request(1, 1, 8, 0, 1))).toEqual([0x88, 1]); // diagnostics: not served
    expect(await exc(request(6, 1, 6, 0, 1))).toEqual([0x86, 2]); // a write to a read-only register
    expect(await exc(request(2, 1, 4, 0x2000, 2))).toEqual([0x84, 2]);
    expect(await exc(request(3, 1, 4, 0, 126))).toEqual([0x84, 3]);
    expect(await exc(request(4, 7, 4, 0, 2))).toEqual([0x84, 0x0b]);
    await server!.stop();
    const quiet = await serve(new Map([[1, meter('a')]]), 'ignore');
    quiet.socket.write(request(5, 7, 4, 0, 2));
    expect(await quiet.frame(300)).toBeUndefined();
  });

  it('drops the connection on a broken MBAP header and keeps serving others', async () => {
    const c = await serve(new Map([[1, meter('a')]]));
    const bad = request(1, 1, 4, 0, 2);
    bad.writeUInt16BE(7, 2); // protocol id must be 0
    c.socket.write(bad);
    expect(await c.frame(1000)).toBeUndefined();
    expect(c.closed).toBe(true);
    expect(server!.stats.badFrames).toBe(1);
    const d = await Client.connect(server!.address.port);
    d.socket.write(request(2, 1, 4, 0, 2));
    expect((await d.frame())?.[7]).toBe(4);
    d.socket.destroy();
  });

  it('injects faults per meter: busy, no reply, late, corrupted, byte by byte, offline', async () => {
    const c = await serve(
      new Map([
        [1, meter('busy', [{ kind: 'busy' }])],
        [2, meter('mute', [{ kind: 'no-reply' }])],
        [3, meter('late', [{ kind: 'late-reply', delayMs: 300 }])],
        [4, meter('bad', [{ kind: 'bad-crc' }])],
        [5, meter('slow', [{ kind: 'slow-bytes', byteDelayMs: 2 }])],
        [6, meter('ok')],
      ]),
    );
    c.socket.write(request(1, 1, 4, 0, 2));
    expect([...(await c.frame())!.subarray(7, 9)]).toEqual([0x84, 6]);
    c.socket.write(request(2, 2, 4, 0, 2));
    expect(await c.frame(300)).toBeUndefined();
    c.socket.write(request(3, 3, 4, 0, 2));
    expect(await c.frame(100)).toBeUndefined();
    expect((await c.frame(2000))?.readUInt16BE(0)).toBe(3);
    c.socket.write(request(4, 4, 4, 0, 2));
    expect((await c.frame())?.readUInt16BE(2)).not.toBe(0); // invalid protocol id: the client must reject it
    c.chunks.length = 0;
    c.socket.write(request(5, 5, 4, 0, 2));
    const slow = (await c.frame(2000))!;
    expect(slow.length).toBe(13);
    expect(c.chunks.length).toBeGreaterThan(1);
    server!.options.meters.get(6)!.faults.goOffline(10_000);
    c.socket.write(request(6, 6, 4, 0, 2));
    expect(await c.frame(300)).toBeUndefined();
    expect(server!.options.meters.get(6)!.faults.injected.offline).toBe(1);
  });
});

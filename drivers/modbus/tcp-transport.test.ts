import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from './tcp-transport.js';

/** A scripted in-process server: pure framing logic, no third-party peer needed (unit tier). */
async function server(onFrame: (frame: Buffer, sock: net.Socket) => void) {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    sockets.add(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (b) => {
      buf = Buffer.concat([buf, b]);
      while (buf.length >= 12) {
        onFrame(buf.subarray(0, 12), sock);
        buf = buf.subarray(12);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** Answer = the request's start address as the register value, so a crossed reply is visible. */
function answer(frame: Buffer): Buffer {
  const out = Buffer.alloc(11);
  frame.copy(out, 0, 0, 4); // tid, protocol
  out.writeUInt16BE(5, 4);
  out[6] = frame[6]!;
  out[7] = frame[7]!;
  out[8] = 2;
  out.writeUInt16BE(frame.readUInt16BE(8), 9);
  return out;
}

describe('TcpTransport', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('matches pipelined replies by transaction id even when they come back out of order', async () => {
    const held: Array<[Buffer, net.Socket]> = [];
    const s = await server((f, sock) => {
      held.push([Buffer.from(f), sock]);
      if (held.length === 4) for (const [hf, hs] of held.reverse()) hs.write(answer(hf));
    });
    cleanups.push(s.close);
    const t = new TcpTransport({ host: '127.0.0.1', port: s.port, maxInFlight: 4, timeoutMs: 2000 });
    await t.start();
    cleanups.push(() => t.stop());
    const rs = await Promise.all(
      [10, 20, 30, 40].map((a) => t.read({ unitId: 1, function: 3, address: a, count: 1 })),
    );
    expect(rs.map((r) => (r.ok ? r.registers[0] : r))).toEqual([10, 20, 30, 40]);
  });

  it('keeps at most maxInFlight requests on the wire', async () => {
    let outstanding = 0;
    let peak = 0;
    const s = await server((f, sock) => {
      peak = Math.max(peak, ++outstanding);
      setTimeout(() => {
        outstanding--;
        sock.write(answer(f));
      }, 5);
    });
    cleanups.push(s.close);
    const t = new TcpTransport({ host: '127.0.0.1', port: s.port, maxInFlight: 2 });
    await t.start();
    cleanups.push(() => t.stop());
    const rs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.read({ unitId: 1, function: 4, address: i, count: 1 })),
    );
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(peak).toBe(2);
  });

  it('reports a refused connection as a closed failure, not a throw', async () => {
    const s = await server(() => undefined);
    await s.close();
    const t = new TcpTransport({ host: '127.0.0.1', port: s.port, timeoutMs: 500 });
    await t.start();
    expect(await t.read({ unitId: 1, function: 3, address: 0, count: 1 })).toMatchObject({
      ok: false,
      kind: 'closed',
    });
    await t.stop();
  });

  it('reopens the connection after the peer closes it', async () => {
    let first = true;
    const s = await server((f, sock) => {
      if (first) {
        first = false;
        sock.destroy();
      } else sock.write(answer(f));
    });
    cleanups.push(s.close);
    const t = new TcpTransport({ host: '127.0.0.1', port: s.port, timeoutMs: 1000 });
    await t.start();
    cleanups.push(() => t.stop());
    expect(await t.read({ unitId: 1, function: 3, address: 1, count: 1 })).toMatchObject({
      ok: false,
      kind: 'closed',
    });
    const r = await t.read({ unitId: 1, function: 3, address: 7, count: 1 });
    expect(r.ok && r.registers[0]).toBe(7);
  });
});

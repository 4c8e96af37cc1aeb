import net from 'node:net';
import { HdlcSplitter } from '../hdlc-frame.js';
import type { Recording } from './recordings.js';

/**
 * A replay peer for client tests (see the recordings' README, "Testing a client"): each frame the
 * client sends must equal the next recorded c2s frame byte for byte; then every recorded s2c frame
 * up to the next c2s one is sent back.
 */
export interface ReplayServer {
  readonly port: number;
  /** c2s frames matched so far, and the first mismatch if any. */
  readonly state: { matched: number; total: number; mismatch?: string };
  close(): Promise<void>;
}

export async function startReplayServer(rec: Recording): Promise<ReplayServer> {
  const total = rec.frames.filter((f) => f.dir === 'c2s').length;
  const state: ReplayServer['state'] = { matched: 0, total };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let i = 0;
    let pending = Buffer.alloc(0);
    let lineMode = rec.meta.transport === 'mode-e';
    const hdlc = new HdlcSplitter();
    const onClientFrame = (bytes: Uint8Array) => {
      if (state.mismatch) return;
      const expected = rec.frames[i];
      const got = Buffer.from(bytes).toString('hex');
      if (!expected || expected.dir !== 'c2s' || expected.hex !== got) {
        state.mismatch = `frame ${i}: expected ${expected ? expected.hex : '(nothing more)'}, got ${got}`;
        socket.destroy();
        return;
      }
      state.matched++;
      i++;
      while (rec.frames[i]?.dir === 's2c') socket.write(Buffer.from(rec.frames[i++]!.hex, 'hex'));
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (lineMode) {
          const at = pending.indexOf('\r\n');
          if (at < 0) return;
          const line = pending.subarray(0, at + 2);
          pending = pending.subarray(at + 2);
          if (line[0] === 0x06) lineMode = false;
          onClientFrame(line);
          continue;
        }
        if (rec.meta.transport === 'wrapper') {
          if (pending.length < 8) return;
          const len = pending.readUInt16BE(6);
          if (pending.length < 8 + len) return;
          onClientFrame(pending.subarray(0, 8 + len));
          pending = pending.subarray(8 + len);
          continue;
        }
        const data = pending;
        pending = Buffer.alloc(0);
        for (const r of hdlc.push(data)) {
          if (r.ok) onClientFrame(r.bytes);
          else state.mismatch = `client frame failed to decode: ${r.error.message}`;
        }
        return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

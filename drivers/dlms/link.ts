import net from 'node:net';
import { SerialPort } from 'serialport';
import type { Duplex } from 'node:stream';
import { DlmsError } from './errors.js';

/**
 * A byte link to a meter (a TCP socket, a serial port, any Duplex) with a receive queue of parsed
 * units: the framers push what they split off, readers await the next unit with a timeout. Closing
 * the link or losing the connection fails whoever waits with MG_ERR_DLMS_CLOSED.
 */
export class UnitQueue<T> {
  private items: T[] = [];
  private waiter: { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private closed: Error | undefined;

  push(item: T): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(item);
    } else this.items.push(item);
  }

  fail(err: Error): void {
    this.closed ??= err;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  next(timeoutMs: number, what: string): Promise<T> {
    if (this.items.length) return Promise.resolve(this.items.shift()!);
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new DlmsError('MG_ERR_DLMS_TIMEOUT', `${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  clear(): void {
    this.items = [];
  }
}

export interface ByteLink {
  write(bytes: Uint8Array): void;
  onData(cb: (chunk: Uint8Array) => void): void;
  onClose(cb: (err: Error) => void): void;
  close(): Promise<void>;
}

export function streamLink(stream: Duplex): ByteLink {
  let closeCb: ((e: Error) => void) | undefined;
  let closed = false;
  const onEnd = (why: string) => () => {
    if (closed) return;
    closed = true;
    closeCb?.(new DlmsError('MG_ERR_DLMS_CLOSED', why));
  };
  stream.on('error', (e: Error) => {
    if (closed) return;
    closed = true;
    closeCb?.(new DlmsError('MG_ERR_DLMS_CLOSED', e.message));
  });
  stream.on('close', onEnd('the meter closed the connection'));
  stream.on('end', onEnd('the meter closed the connection'));
  return {
    write: (b) => {
      if (!closed) stream.write(b);
    },
    onData: (cb) => stream.on('data', (c: Buffer) => cb(c)),
    onClose: (cb) => {
      closeCb = cb;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        if (stream.destroyed) return resolve();
        stream.once('close', () => resolve());
        stream.end();
        setTimeout(() => stream.destroy(), 200).unref();
      }),
  };
}

export function connectTcp(host: string, port: number, timeoutMs = 5000): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DlmsError('MG_ERR_DLMS_TIMEOUT', `TCP connect to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(streamLink(socket));
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new DlmsError('MG_ERR_DLMS_CLOSED', `cannot connect to ${host}:${port}: ${e.message}`));
    });
  });
}

/** A serial line (optical probe, RS-485) as a byte link; `setBaud` follows a mode E speed change. */
export async function openSerial(
  path: string,
  baudRate = 9600,
): Promise<ByteLink & { setBaud(b: number): Promise<void> }> {
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err ? reject(new DlmsError('MG_ERR_DLMS_CLOSED', `cannot open ${path}: ${err.message}`)) : resolve(),
    ),
  );
  const link = streamLink(port);
  return {
    ...link,
    // The port's own close releases the device lock; ending the stream alone does not.
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    // Drain first: the ACK must leave at the old speed before the line changes (IEC 62056-21 §6.4.5).
    setBaud: (b: number) =>
      new Promise<void>((resolve, reject) =>
        port.drain(() => port.update({ baudRate: b }, (err) => (err ? reject(err) : resolve()))),
      ),
  };
}

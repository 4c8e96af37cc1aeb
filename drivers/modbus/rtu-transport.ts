import { SerialPort } from 'serialport';
import { DriverError } from '../errors.js';
import { LineQueue } from '../line-queue.js';
import { withCrc } from './crc16.js';
import { encodeReadPdu, type ReadRequest, type ReadResult } from './pdu.js';
import { scanRtuResponse } from './rtu-framer.js';
import { t35Ms } from './rtu-timing.js';
import { newTransportStats, type ModbusTransport, type ReadOptions } from './transport.js';

export type Parity = 'none' | 'even' | 'odd';

export interface RtuTransportOptions {
  path: string;
  baudRate: number;
  parity?: Parity;
  /** Default per-request timeout. */
  timeoutMs?: number;
  /** Requests allowed to wait for the line before `read` answers queue-full. */
  maxQueue?: number;
}

/**
 * Modbus RTU master on one serial line (`serialport`). Every request goes through the line's
 * LineQueue, so exactly one request is outstanding per line and t3.5 of silence separates frames;
 * responses are found by `scanRtuResponse` (CRC-checked), everything else on the line is counted
 * and discarded.
 */
export class RtuTransport implements ModbusTransport {
  readonly source = 'modbus-rtu' as const;
  readonly stats = newTransportStats();
  private readonly opts: Required<RtuTransportOptions>;
  private port: SerialPort | null = null;
  private queue: LineQueue;
  private rx: Buffer = Buffer.alloc(0);
  private onRx: (() => void) | null = null;

  constructor(opts: RtuTransportOptions) {
    this.opts = { parity: 'none', timeoutMs: 1000, maxQueue: 1000, ...opts };
    this.queue = new LineQueue({ maxPending: this.opts.maxQueue, gapMs: t35Ms(this.opts.baudRate) });
  }

  get lineQueue(): LineQueue {
    return this.queue;
  }

  async start(): Promise<void> {
    if (this.port) return;
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: this.opts.baudRate,
      parity: this.opts.parity,
      dataBits: 8,
      // §2.5.1: no parity requires 2 stop bits so every character stays 11 bits long.
      stopBits: this.opts.parity === 'none' ? 2 : 1,
      autoOpen: false,
    });
    this.port = port;
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch {
      // A missing adapter must not stop the edge's other meters: each request retries the open and
      // reports `closed` until the device is back.
    }
    port.on('data', (chunk: Buffer) => {
      if (!this.onRx) {
        // Nobody asked: noise, or a reply that arrived after its timeout.
        this.stats.discardedBytes += chunk.length;
        return;
      }
      this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
      this.onRx();
    });
    port.on('error', () => {
      // Reported per request as timeouts; the port stays open for the next attempt.
    });
  }

  async stop(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async read(req: ReadRequest, opts: ReadOptions = {}): Promise<ReadResult> {
    if (!this.port) throw new DriverError('MG_ERR_DRIVER_NOT_STARTED', `rtu ${this.opts.path}`);
    if (req.unitId < 1 || req.unitId > 247) {
      // §2.2: 0 is broadcast (no reply), 248..255 reserved.
      throw new DriverError('MG_ERR_DRIVER_REQUEST', `RTU unit id ${req.unitId} (1..247)`);
    }
    const frame = withCrc(Buffer.concat([Buffer.from([req.unitId]), encodeReadPdu(req)]));
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs;
    try {
      return await this.queue.run(() => this.exchange(req, frame, timeoutMs));
    } catch (err) {
      if (err instanceof DriverError && err.code === 'MG_ERR_DRIVER_QUEUE_FULL')
        return { ok: false, kind: 'queue-full', reason: err.message };
      throw err;
    }
  }

  private async exchange(req: ReadRequest, frame: Buffer, timeoutMs: number): Promise<ReadResult> {
    const port = this.port;
    if (!port) return { ok: false, kind: 'closed', reason: 'transport stopped' };
    if (!port.isOpen) {
      // The device went away (USB adapter unplugged, pty closed): try to reopen it for this request.
      this.stats.reconnects++;
      try {
        await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      } catch (err) {
        return { ok: false, kind: 'closed', reason: `${this.opts.path}: ${(err as Error).message}` };
      }
    }
    this.stats.requests++;
    this.rx = Buffer.alloc(0);
    return await new Promise<ReadResult>((resolve) => {
      let crcErrors = 0;
      const finish = (r: ReadResult) => {
        clearTimeout(timer);
        this.onRx = null;
        this.rx = Buffer.alloc(0);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.stats.timeouts++;
        if (this.rx.length > 0) this.stats.discardedBytes += this.rx.length;
        const noise = this.rx.length > 0 ? `; ${this.rx.length} bytes without a valid frame` : '';
        const crc = crcErrors > 0 ? `; ${crcErrors} frame(s) with a bad CRC` : '';
        finish({
          ok: false,
          kind: crcErrors > 0 ? 'crc' : 'timeout',
          reason: `no valid response from unit ${req.unitId} within ${timeoutMs} ms${crc}${noise}`,
        });
      }, timeoutMs);
      this.onRx = () => {
        const scan = scanRtuResponse(req, this.rx);
        if (scan.status === 'incomplete') {
          crcErrors = scan.crcErrors;
          return;
        }
        this.stats.discardedBytes += scan.garbageBytes;
        finish(scan.result);
      };
      port.write(frame, (err) => {
        if (err) finish({ ok: false, kind: 'closed', reason: `write failed: ${err.message}` });
      });
    });
  }
}

import { SerialPort } from 'serialport';
import { DriverError } from '../errors.js';
import { LineQueue } from '../line-queue.js';
import { readExchange, writeExchange, type Exchange, type WriteRequest } from './exchange.js';
import { LateReplyGuard } from './late-reply-guard.js';
import type { ReadRequest, ReadResult } from './pdu.js';
import { t35Ms } from './rtu-timing.js';
import { serialFraming, type SerialFraming, type SerialFramingName } from './serial-framing.js';
import { newTransportStats, type ModbusTransport, type ReadOptions } from './transport.js';

export type Parity = 'none' | 'even' | 'odd';

export interface RtuTransportOptions {
  path: string;
  baudRate: number;
  parity?: Parity;
  /**
   * Transmission mode of the line (Modbus over serial line V1.02 §2.5): `rtu` (default, 8 data bits,
   * CRC) or `ascii` (7 data bits, ':' hex characters, LRC, CR LF). One mode per line.
   */
  framing?: SerialFramingName;
  /** Default per-request timeout. */
  timeoutMs?: number;
  /** Requests allowed to wait for the line before `read` answers queue-full. */
  maxQueue?: number;
  /**
   * After a timeout, how long the line must stay silent (or the late answer arrive) before the next
   * request goes out; default: the timeout of the request that timed out.
   */
  lateReplyGuardMs?: number;
}

/**
 * Modbus master on one serial line (`serialport`), RTU or ASCII framing. Every request goes through
 * the line's LineQueue, so exactly one request is outstanding per line and (RTU) t3.5 of silence
 * separates frames; responses are found by the framing's scan (CRC- or LRC-checked), everything else
 * on the line is counted and discarded. `source` stays `modbus-rtu` in either mode: readings name
 * the link (a serial line), not its framing.
 */
export class RtuTransport implements ModbusTransport {
  readonly source = 'modbus-rtu' as const;
  readonly stats = newTransportStats();
  private readonly opts: Required<RtuTransportOptions>;
  private port: SerialPort | null = null;
  private queue: LineQueue;
  private rx: Buffer = Buffer.alloc(0);
  private onRx: (() => void) | null = null;
  private readonly guard = new LateReplyGuard();
  private readonly framing: SerialFraming;

  constructor(opts: RtuTransportOptions) {
    this.opts = {
      parity: 'none',
      framing: 'rtu',
      timeoutMs: 1000,
      maxQueue: 1000,
      lateReplyGuardMs: -1,
      ...opts,
    };
    this.framing = serialFraming(this.opts.framing);
    this.queue = new LineQueue({ maxPending: this.opts.maxQueue, gapMs: this.gapMs });
  }

  /** RTU: t3.5 between frames (§2.5.1.1). ASCII frames are delimited by ':' and CR LF: no gap needed. */
  private get gapMs(): number {
    return this.framing.name === 'rtu' ? t35Ms(this.opts.baudRate) : 0;
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
      // §2.5.1 RTU: 8 data bits; §2.5.2 ASCII: 7 (each character is one hex digit or delimiter).
      dataBits: this.framing.name === 'ascii' ? 7 : 8,
      // §2.5.1/§2.5.2: no parity requires 2 stop bits so every character keeps its length.
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
      this.guard.heard();
      if (!this.onRx && this.guard.armed) {
        this.guard.stray(chunk);
        this.stats.discardedBytes += chunk.length;
        return;
      }
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
    return this.execute(readExchange(req), opts);
  }

  /** FC 5/6/15/16/23 (commands); the answer is checked against the request like a read's. */
  async write(req: WriteRequest, opts: ReadOptions = {}): Promise<ReadResult> {
    return this.execute(writeExchange(req), opts);
  }

  async execute(req: Exchange, opts: ReadOptions = {}): Promise<ReadResult> {
    if (!this.port) throw new DriverError('MG_ERR_DRIVER_NOT_STARTED', `rtu ${this.opts.path}`);
    if (req.unitId < 1 || req.unitId > 247) {
      // §2.2: 0 is broadcast (no reply), 248..255 reserved.
      throw new DriverError('MG_ERR_DRIVER_REQUEST', `RTU unit id ${req.unitId} (1..247)`);
    }
    const frame = this.framing.encode(req);
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs;
    try {
      return await this.queue.run(() => this.exchange(req, frame, timeoutMs));
    } catch (err) {
      if (err instanceof DriverError && err.code === 'MG_ERR_DRIVER_QUEUE_FULL')
        return { ok: false, kind: 'queue-full', reason: err.message };
      throw err;
    }
  }

  private async exchange(req: Exchange, frame: Buffer, timeoutMs: number): Promise<ReadResult> {
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
    if (this.guard.armed && (await this.guard.settle(this.framing.scan, this.gapMs)))
      this.stats.discardedFrames++;
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
        // The answer may still come: it must not be taken for the answer to the next request (an RTU
        // reply to a read carries no address, so a same-length late reply is indistinguishable).
        this.guard.arm(req, this.opts.lateReplyGuardMs >= 0 ? this.opts.lateReplyGuardMs : timeoutMs);
        if (this.rx.length > 0) this.stats.discardedBytes += this.rx.length;
        const noise = this.rx.length > 0 ? `; ${this.rx.length} bytes without a valid frame` : '';
        const check = this.framing.name === 'ascii' ? 'LRC' : 'CRC';
        const crc = crcErrors > 0 ? `; ${crcErrors} frame(s) with a bad ${check}` : '';
        finish({
          ok: false,
          kind: crcErrors > 0 ? 'crc' : 'timeout',
          reason: `no valid response from unit ${req.unitId} within ${timeoutMs} ms${crc}${noise}`,
        });
      }, timeoutMs);
      this.onRx = () => {
        const scan = this.framing.scan(req, this.rx);
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

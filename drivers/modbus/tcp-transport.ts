import net from 'node:net';
import { DriverError } from '../errors.js';
import { decodeReadResponsePdu, encodeReadPdu, type ReadRequest, type ReadResult } from './pdu.js';
import { newTransportStats, type ModbusTransport, type ReadOptions } from './transport.js';

/**
 * Modbus TCP master with its own MBAP framing (Modbus Messaging on TCP/IP Implementation Guide V1.0b
 * §3.1.3). Hand-written rather than modbus-serial's TCP client because we need: several outstanding
 * requests on one connection matched by transaction id (a concentrator serving many unit ids), stale
 * replies after a timeout discarded by transaction id instead of being taken as the next answer, and
 * a connection that survives timeouts (libmodbus' example server accepts exactly one connection).
 */
const MBAP_HEADER = 7; // transaction id (2), protocol id (2), length (2), unit id (1)
const MAX_ADU = 260; // §4.1: 7-byte MBAP + 253-byte PDU
const PROTOCOL_ID = 0;

export interface TcpTransportOptions {
  host: string;
  port: number;
  /** Default per-request timeout. */
  timeoutMs?: number;
  /** Requests outstanding at once on the connection (pipelining); 1 for devices that cannot queue. */
  maxInFlight?: number;
  connectTimeoutMs?: number;
  /** Consecutive timeouts after which the connection is assumed dead and reopened. */
  reconnectAfterTimeouts?: number;
}

interface Pending {
  req: ReadRequest;
  tid: number;
  timer: NodeJS.Timeout;
  resolve: (r: ReadResult) => void;
}

export class TcpTransport implements ModbusTransport {
  readonly source = 'modbus-tcp' as const;
  readonly stats = newTransportStats();
  private readonly opts: Required<TcpTransportOptions>;
  private socket: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private rx: Buffer = Buffer.alloc(0);
  private nextTid = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Array<() => void> = [];
  private inFlight = 0;
  private consecutiveTimeouts = 0;
  private started = false;

  constructor(opts: TcpTransportOptions) {
    this.opts = {
      timeoutMs: 1000,
      maxInFlight: 1,
      connectTimeoutMs: 3000,
      reconnectAfterTimeouts: 3,
      ...opts,
    };
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    this.dropConnection('transport stopped');
    for (const w of this.waiting.splice(0)) w();
  }

  async read(req: ReadRequest, opts: ReadOptions = {}): Promise<ReadResult> {
    if (!this.started)
      throw new DriverError('MG_ERR_DRIVER_NOT_STARTED', `tcp ${this.opts.host}:${this.opts.port}`);
    const pdu = encodeReadPdu(req);
    while (this.inFlight >= this.opts.maxInFlight) {
      await new Promise<void>((r) => this.waiting.push(r));
      if (!this.started) return { ok: false, kind: 'closed', reason: 'transport stopped' };
    }
    this.inFlight++;
    try {
      return await this.exchange(req, pdu, opts.timeoutMs ?? this.opts.timeoutMs);
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async exchange(req: ReadRequest, pdu: Buffer, timeoutMs: number): Promise<ReadResult> {
    const deadline = Date.now() + timeoutMs;
    let socket: net.Socket;
    try {
      socket = await this.connect(timeoutMs);
    } catch (err) {
      return {
        ok: false,
        kind: 'closed',
        reason: `connect ${this.opts.host}:${this.opts.port}: ${(err as Error).message}`,
      };
    }
    const tid = this.allocateTid();
    const adu = Buffer.alloc(MBAP_HEADER + pdu.length);
    adu.writeUInt16BE(tid, 0);
    adu.writeUInt16BE(PROTOCOL_ID, 2);
    adu.writeUInt16BE(pdu.length + 1, 4);
    adu[6] = req.unitId;
    pdu.copy(adu, MBAP_HEADER);
    this.stats.requests++;
    return new Promise<ReadResult>((resolve) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(tid);
          this.stats.timeouts++;
          if (++this.consecutiveTimeouts >= this.opts.reconnectAfterTimeouts) {
            this.consecutiveTimeouts = 0;
            this.dropConnection('too many consecutive timeouts');
          }
          resolve({ ok: false, kind: 'timeout', reason: `no response within ${timeoutMs} ms` });
        },
        Math.max(1, deadline - Date.now()),
      );
      this.pending.set(tid, { req, tid, timer, resolve });
      socket.write(adu);
    });
  }

  private allocateTid(): number {
    for (;;) {
      const tid = this.nextTid;
      this.nextTid = this.nextTid === 0xffff ? 1 : this.nextTid + 1;
      if (!this.pending.has(tid)) return tid;
    }
  }

  private connect(timeoutMs: number): Promise<net.Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: this.opts.host, port: this.opts.port });
      s.setNoDelay(true);
      const timer = setTimeout(
        () => {
          s.destroy();
          reject(new Error('connect timeout'));
        },
        Math.min(timeoutMs, this.opts.connectTimeoutMs),
      );
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        this.socket = s;
        this.rx = Buffer.alloc(0);
        s.on('data', (chunk: Buffer) => this.onData(s, chunk));
        s.on('error', () => this.dropConnection('socket error', s));
        s.on('close', () => this.dropConnection('connection closed by peer', s));
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private dropConnection(reason: string, which?: net.Socket): void {
    if (which && which !== this.socket) return;
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    this.stats.reconnects++;
    s.removeAllListeners('data');
    s.destroy();
    this.rx = Buffer.alloc(0);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, kind: 'closed', reason });
    }
    this.pending.clear();
  }

  private onData(s: net.Socket, chunk: Buffer): void {
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    while (this.rx.length >= MBAP_HEADER) {
      const protocol = this.rx.readUInt16BE(2);
      const length = this.rx.readUInt16BE(4);
      // A TCP stream cannot be resynchronised after a bad header: drop the connection (§4.3.1).
      if (protocol !== PROTOCOL_ID || length < 2 || length + 6 > MAX_ADU) {
        this.stats.discardedBytes += this.rx.length;
        this.dropConnection(`garbage on the connection (protocol ${protocol}, length ${length})`, s);
        return;
      }
      const total = 6 + length;
      if (this.rx.length < total) return;
      const frame = this.rx.subarray(0, total);
      this.rx = this.rx.subarray(total);
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const tid = frame.readUInt16BE(0);
    const p = this.pending.get(tid);
    if (!p) {
      // A late reply to a request that already timed out, or a reply we never asked for.
      this.stats.discardedFrames++;
      return;
    }
    this.pending.delete(tid);
    clearTimeout(p.timer);
    this.consecutiveTimeouts = 0;
    const unit = frame[6]!;
    if (unit !== p.req.unitId) {
      p.resolve({
        ok: false,
        kind: 'malformed',
        reason: `reply from unit ${unit} to a request for unit ${p.req.unitId}`,
      });
      return;
    }
    p.resolve(decodeReadResponsePdu(p.req, frame.subarray(MBAP_HEADER)));
  }
}

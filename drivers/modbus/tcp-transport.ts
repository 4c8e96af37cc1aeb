import net from 'node:net';
import { DriverError } from '../errors.js';
import { readExchange, writeExchange, type Exchange, type WriteRequest } from './exchange.js';
import { LateReplyGuard } from './late-reply-guard.js';
import type { ReadRequest, ReadResult } from './pdu.js';
import { serialFraming, type SerialFraming } from './serial-framing.js';
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
  /**
   * Default per-unit policy: consecutive timeouts after which a unit counts as silent. The connection
   * is reopened only when every unit seen on it is silent, so one dead meter behind a gateway does
   * not cut off the others (0 = never reopen because of timeouts).
   */
  reconnectAfterTimeouts?: number;
  /**
   * `mbap` (Modbus TCP, default), or serial frames over the socket (serial device servers): `rtu`
   * (binary, CRC) or `ascii` (':' hex characters, LRC, CR LF; Modbus over serial line §2.5).
   */
  framing?: 'mbap' | 'rtu' | 'ascii';
  /** Silence between the end of one answer and the next request (slow gateways), ms. */
  pauseMs?: number;
  /**
   * Gateways that answer with a wrong transaction id: with one request outstanding, take the answer
   * when its unit and function match instead of discarding it.
   */
  ignoreTransactionId?: boolean;
}

interface Pending {
  req: Exchange;
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
  /** Per unit id on the current connection: consecutive timeouts, and whether it still answers. */
  private readonly units = new Map<number, { timeouts: number; alive: boolean }>();
  private started = false;
  private lastAnswerAt = 0;
  /** Serial framing over the socket, or null for MBAP. */
  private readonly serial: SerialFraming | null;
  /** Serial framing only: MBAP answers carry a transaction id, serial ones nothing to tell them apart. */
  private readonly guard = new LateReplyGuard();

  constructor(opts: TcpTransportOptions) {
    this.opts = {
      timeoutMs: 1000,
      maxInFlight: 1,
      connectTimeoutMs: 3000,
      reconnectAfterTimeouts: 3,
      framing: 'mbap',
      pauseMs: 0,
      ignoreTransactionId: false,
      ...opts,
    };
    this.serial = this.opts.framing === 'mbap' ? null : serialFraming(this.opts.framing);
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
    return this.execute(readExchange(req), opts);
  }

  /** FC 5/6/15/16/23 (commands); the answer is checked against the request like a read's. */
  async write(req: WriteRequest, opts: ReadOptions = {}): Promise<ReadResult> {
    return this.execute(writeExchange(req), opts);
  }

  /** Closes the connection now (close-after-poll devices); the next request reconnects. */
  closeConnection(): void {
    if (this.inFlight === 0) this.dropConnection('closed after poll', undefined, false);
  }

  async execute(req: Exchange, opts: ReadOptions = {}): Promise<ReadResult> {
    if (!this.started)
      throw new DriverError('MG_ERR_DRIVER_NOT_STARTED', `tcp ${this.opts.host}:${this.opts.port}`);
    const pdu = req.pdu;
    // Serial frames over TCP and a transaction-id-blind gateway cannot tell concurrent answers apart.
    const maxInFlight = this.serial || this.opts.ignoreTransactionId ? 1 : this.opts.maxInFlight;
    while (this.inFlight >= maxInFlight) {
      await new Promise<void>((r) => this.waiting.push(r));
      if (!this.started) return { ok: false, kind: 'closed', reason: 'transport stopped' };
    }
    this.inFlight++;
    const wait = this.lastAnswerAt + this.opts.pauseMs - performance.now();
    if (this.opts.pauseMs > 0 && wait > 0) await new Promise((r) => setTimeout(r, wait));
    try {
      if (this.serial && this.guard.armed && (await this.guard.settle(this.serial.scan, 0)))
        this.stats.discardedFrames++;
      return await this.exchange(
        req,
        pdu,
        opts.timeoutMs ?? this.opts.timeoutMs,
        opts.reconnectAfterTimeouts ?? this.opts.reconnectAfterTimeouts,
      );
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async exchange(
    req: Exchange,
    pdu: Buffer,
    timeoutMs: number,
    reconnectAfter: number,
  ): Promise<ReadResult> {
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
    let adu: Buffer;
    if (this.serial) {
      adu = this.serial.encode(req);
      this.rx = Buffer.alloc(0);
    } else {
      adu = Buffer.alloc(MBAP_HEADER + pdu.length);
      adu.writeUInt16BE(tid, 0);
      adu.writeUInt16BE(PROTOCOL_ID, 2);
      adu.writeUInt16BE(pdu.length + 1, 4);
      adu[6] = req.unitId;
      pdu.copy(adu, MBAP_HEADER);
    }
    this.stats.requests++;
    return new Promise<ReadResult>((resolve) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(tid);
          this.stats.timeouts++;
          // Its late answer must not be taken for the next request's (serial framing has no tid).
          if (this.serial) this.guard.arm(req, timeoutMs);
          this.onTimeout(req.unitId, reconnectAfter);
          resolve({ ok: false, kind: 'timeout', reason: `no response within ${timeoutMs} ms` });
        },
        Math.max(1, deadline - Date.now()),
      );
      this.pending.set(tid, { req, tid, timer, resolve });
      socket.write(adu);
    });
  }

  private onTimeout(unitId: number, reconnectAfter: number): void {
    const u = this.units.get(unitId) ?? { timeouts: 0, alive: true };
    u.timeouts++;
    if (reconnectAfter > 0 && u.timeouts >= reconnectAfter) u.alive = false;
    this.units.set(unitId, u);
    if (!u.alive && ![...this.units.values()].some((x) => x.alive))
      this.dropConnection(`no unit answers (unit ${unitId}: ${u.timeouts} consecutive timeouts)`);
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

  private dropConnection(reason: string, which?: net.Socket, count = true): void {
    if (which && which !== this.socket) return;
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    if (count) this.stats.reconnects++;
    s.removeAllListeners('data');
    s.destroy();
    this.rx = Buffer.alloc(0);
    this.units.clear();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, kind: 'closed', reason });
    }
    this.pending.clear();
  }

  private onData(s: net.Socket, chunk: Buffer): void {
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    if (this.serial) {
      this.guard.heard();
      return this.onSerialData(this.serial);
    }
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

  /**
   * RTU or ASCII over TCP: one request outstanding; its answer is found like on a serial line (CRC or
   * LRC, length).
   */
  private onSerialData(framing: SerialFraming): void {
    const p = [...this.pending.values()][0];
    if (!p) {
      if (this.guard.armed) this.guard.stray(this.rx);
      this.stats.discardedBytes += this.rx.length;
      this.rx = Buffer.alloc(0);
      return;
    }
    const scan = framing.scan(p.req, this.rx);
    if (scan.status === 'incomplete') {
      const max = framing.maxFrameBytes;
      if (this.rx.length > 2 * max) this.rx = this.rx.subarray(-max);
      return;
    }
    this.stats.discardedBytes += scan.garbageBytes;
    this.rx = Buffer.alloc(0);
    this.units.set(p.req.unitId, { timeouts: 0, alive: true });
    this.pending.delete(p.tid);
    clearTimeout(p.timer);
    this.lastAnswerAt = performance.now();
    p.resolve(scan.result);
  }

  private onFrame(frame: Buffer): void {
    // Any frame, even a late one, proves that this unit and the connection are alive.
    this.units.set(frame[6]!, { timeouts: 0, alive: true });
    this.lastAnswerAt = performance.now();
    const tid = frame.readUInt16BE(0);
    let p = this.pending.get(tid);
    if (!p && this.opts.ignoreTransactionId && this.pending.size === 1) {
      // Transaction-id workaround: the only outstanding request, same unit and function.
      const only = [...this.pending.values()][0]!;
      const fn = frame[MBAP_HEADER]! & 0x7f;
      if (only.req.unitId === frame[6] && only.req.function === fn) p = only;
    }
    if (!p) {
      // A late reply to a request that already timed out, or a reply we never asked for.
      this.stats.discardedFrames++;
      return;
    }
    this.pending.delete(p.tid);
    clearTimeout(p.timer);
    const unit = frame[6]!;
    if (unit !== p.req.unitId) {
      p.resolve({
        ok: false,
        kind: 'malformed',
        reason: `reply from unit ${unit} to a request for unit ${p.req.unitId}`,
      });
      return;
    }
    p.resolve(p.req.decode(frame.subarray(MBAP_HEADER)));
  }
}

import net from 'node:net';
import { SimulatorError } from '../errors.js';
import type { SimulatedMeter } from '../model/simulated-meter.js';
import { answerPdu, exceptionPdu } from './pdu.js';
import { sendPaced, type Pacer } from './pacer.js';

/**
 * Modbus TCP server for simulated meters: one port, many unit ids (a concentrator), or one meter per
 * instance for "many ports". Hand-written on `net` rather than modbus-serial's ServerTCP, which does
 * not enforce the 1..125 quantity limit, answers every unit id alike and cannot inject faults per
 * meter. Framing per "MODBUS Messaging on TCP/IP Implementation Guide v1.0b" §3.1.3 (MBAP header).
 */
const MBAP_LENGTH = 7;
/** §3.1.3: the length field counts unit id + PDU; a PDU is at most 253 bytes. */
const MAX_MBAP_LENGTH_FIELD = 254;
/** Exception 0x0B, gateway target device failed to respond (application protocol §7): unknown unit id. */
const GATEWAY_TARGET_FAILED = 0x0b;

export interface ModbusTcpSimulatorOptions {
  readonly host?: string;
  /** 0 picks a free port; read it back from `address` after start(). */
  readonly port: number;
  /** Meters by unit id (1..247). */
  readonly meters: ReadonlyMap<number, SimulatedMeter>;
  /** What an unknown unit id gets: exception 0x0B like a gateway (default) or silence. */
  readonly unknownUnit?: 'gateway-exception' | 'ignore';
}

export interface ModbusServerStats {
  requests: number;
  responses: number;
  exceptions: number;
  dropped: number;
  badFrames: number;
}

export class ModbusTcpSimulator {
  readonly options: ModbusTcpSimulatorOptions;
  readonly stats: ModbusServerStats = { requests: 0, responses: 0, exceptions: 0, dropped: 0, badFrames: 0 };
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly pacer: Pacer = { timers: new Set() };

  constructor(options: ModbusTcpSimulatorOptions) {
    this.options = options;
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string')
      throw new SimulatorError('MG_ERR_SIM_STATE', 'Modbus TCP simulator is not listening');
    return { host: a.address, port: a.port };
  }

  async start(): Promise<void> {
    if (this.server) throw new SimulatorError('MG_ERR_SIM_STATE', 'already started');
    const server = net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        this.server = undefined;
        reject(
          new SimulatorError(
            'MG_ERR_SIM_LISTEN',
            `${this.options.host ?? '0.0.0.0'}:${this.options.port}: ${err.message}`,
          ),
        );
      });
      server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => resolve());
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const t of this.pacer.timers) clearTimeout(t);
    this.pacer.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= MBAP_LENGTH) {
        const protocolId = buf.readUInt16BE(2);
        const length = buf.readUInt16BE(4);
        if (protocolId !== 0 || length < 2 || length > MAX_MBAP_LENGTH_FIELD) {
          // The stream cannot be resynchronised after a bad header: drop the connection (guide §4.4.1.1).
          this.stats.badFrames++;
          socket.destroy();
          return;
        }
        if (buf.length < 6 + length) break;
        const frame = buf.subarray(0, 6 + length);
        buf = buf.subarray(6 + length);
        this.onFrame(socket, frame);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private onFrame(socket: net.Socket, frame: Buffer): void {
    this.stats.requests++;
    const unit = frame[6]!;
    const pdu = frame.subarray(7);
    const meter = this.options.meters.get(unit);
    if (!meter) {
      if ((this.options.unknownUnit ?? 'gateway-exception') === 'ignore') {
        this.stats.dropped++;
        return;
      }
      this.stats.exceptions++;
      this.reply(socket, frame, exceptionPdu(pdu[0] ?? 0, GATEWAY_TARGET_FAILED), {
        corrupt: false,
        delayMs: 0,
        byteDelayMs: 0,
      });
      return;
    }
    const fault = meter.faults.decide();
    if (fault.drop) {
      this.stats.dropped++;
      return;
    }
    const answer = answerPdu(meter, pdu, fault);
    if (answer[0]! & 0x80) this.stats.exceptions++;
    this.reply(socket, frame, answer, fault);
  }

  private reply(
    socket: net.Socket,
    request: Buffer,
    pdu: Buffer,
    fault: { corrupt: boolean; delayMs: number; byteDelayMs: number },
  ): void {
    const adu = Buffer.alloc(MBAP_LENGTH + pdu.length);
    request.copy(adu, 0, 0, 2); // transaction id echoed
    adu.writeUInt16BE(fault.corrupt ? 0xbad0 : 0, 2);
    adu.writeUInt16BE(pdu.length + 1, 4);
    adu[6] = request[6]!;
    pdu.copy(adu, MBAP_LENGTH);
    this.stats.responses++;
    sendPaced(this.pacer, (b) => !socket.destroyed && socket.write(b), adu, fault.delayMs, fault.byteDelayMs);
  }
}

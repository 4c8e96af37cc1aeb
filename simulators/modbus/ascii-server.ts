import type { SerialPort } from 'serialport';
import { SimulatorError } from '../errors.js';
import type { SimulatedMeter } from '../model/simulated-meter.js';
import { openSerialLine } from './open-serial.js';
import { after, type Pacer } from './pacer.js';
import { answerPdu } from './pdu.js';
import type { ModbusServerStats } from './tcp-server.js';

/**
 * Modbus ASCII slaves on one serial line (Modbus over serial line V1.02 §2.5.2): frames are ':' then
 * address, PDU and LRC as hexadecimal characters, then CR LF, on 7 data bits. Written apart from the
 * edge's framer (drivers/modbus/ascii-framer.ts) on purpose, so one does not test the other with its
 * own mistakes; the independent check is pymodbus's ASCII client (ascii-server.int.test.ts).
 * No character timing is emulated: ASCII allows up to 1 s between characters and has no t3.5.
 */
const START = 0x3a; // ':'
const LF = 0x0a;
/** §2.5.2.1: 513 characters at most. */
const MAX_FRAME = 513;

export interface ModbusAsciiSimulatorOptions {
  readonly path: string;
  readonly baud: number;
  /** Even by default (§2.5.2.1); without parity 2 stop bits are used. */
  readonly parity?: 'none' | 'even' | 'odd';
  readonly meters: ReadonlyMap<number, SimulatedMeter>;
}

export interface AsciiServerStats extends ModbusServerStats {
  lrcErrors: number;
}

/** §6.2.1: two's complement of the 8-bit sum of address and PDU. */
function lrcOf(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

export class ModbusAsciiSimulator {
  readonly options: ModbusAsciiSimulatorOptions;
  readonly stats: AsciiServerStats = {
    requests: 0,
    responses: 0,
    exceptions: 0,
    dropped: 0,
    badFrames: 0,
    lrcErrors: 0,
  };
  private port: SerialPort | undefined;
  private readonly pacer: Pacer = { timers: new Set() };
  private buf = '';

  constructor(options: ModbusAsciiSimulatorOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    if (this.port) throw new SimulatorError('MG_ERR_SIM_STATE', 'already started');
    const parity = this.options.parity ?? 'even';
    this.port = await openSerialLine(
      {
        path: this.options.path,
        baudRate: this.options.baud,
        dataBits: 7,
        parity,
        stopBits: parity === 'none' ? 2 : 1,
      },
      (chunk) => this.onData(chunk),
    );
  }

  async stop(): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.port = undefined;
    for (const t of this.pacer.timers) clearTimeout(t);
    this.pacer.timers.clear();
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private onData(chunk: Buffer): void {
    for (const byte of chunk) {
      if (byte === START) {
        // §2.5.2.1: a ':' always starts a new frame; an unfinished one is abandoned.
        if (this.buf.length > 0) this.stats.badFrames++;
        this.buf = ':';
      } else if (this.buf.length > 0) {
        this.buf += String.fromCharCode(byte & 0x7f);
        if (byte === LF) {
          this.onFrame(this.buf);
          this.buf = '';
        } else if (this.buf.length > MAX_FRAME) {
          this.stats.badFrames++;
          this.buf = '';
        }
      }
    }
  }

  private onFrame(frame: string): void {
    const m = /^:((?:[0-9A-Fa-f]{2}){3,})\r\n$/.exec(frame);
    if (!m) {
      this.stats.badFrames++;
      return;
    }
    const bytes = Buffer.from(m[1]!, 'hex');
    const body = bytes.subarray(0, -1);
    if (lrcOf(body) !== bytes[bytes.length - 1]) {
      // §2.5.2.2: a frame with a wrong LRC is discarded without an answer.
      this.stats.lrcErrors++;
      return;
    }
    const unit = body[0]!;
    const meter = this.options.meters.get(unit);
    if (unit === 0 || !meter) return; // broadcast, or another slave's
    this.stats.requests++;
    const fault = meter.faults.decide();
    if (fault.drop) {
      this.stats.dropped++;
      return;
    }
    const answer = answerPdu(meter, Buffer.from(body.subarray(1)), fault);
    if (answer[0]! & 0x80) this.stats.exceptions++;
    const out = Buffer.concat([Buffer.from([unit]), answer]);
    let lrc = lrcOf(out);
    if (fault.corrupt) lrc ^= 0xff;
    const text = `:${Buffer.concat([out, Buffer.from([lrc])])
      .toString('hex')
      .toUpperCase()}\r\n`;
    after(this.pacer, fault.delayMs, () => {
      if (this.port?.isOpen) this.port.write(text);
      this.stats.responses++;
    });
  }
}

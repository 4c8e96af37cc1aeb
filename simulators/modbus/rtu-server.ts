import { performance } from 'node:perf_hooks';
import type { SerialPort } from 'serialport';
import { SimulatorError } from '../errors.js';
import type { SimulatedMeter } from '../model/simulated-meter.js';
import { crcOk, withCrc } from './crc16.js';
import { openSerialLine } from './open-serial.js';
import { after, sendPaced, type Pacer } from './pacer.js';
import { answerPdu, requestPduLength } from './pdu.js';
import { charTimeMs, t35Ms, type LineSettings } from './rtu-timing.js';
import type { ModbusServerStats } from './tcp-server.js';

/**
 * Modbus RTU slaves on one serial line (multi-drop: many unit ids on one bus). Hand-written on
 * `serialport` because modbus-serial's ServerSerial does not check the CRC of incoming frames and
 * cannot emulate line timing or per-meter faults.
 *
 * Timing is emulated so a pty behaves like a real bus at the configured baud: a request occupies the
 * line for its length in character times from its first byte (or from the end of the previous
 * exchange's silence, whichever is later), the slave answers after the 3.5-character silence, and
 * the answer is released when its last character would have left the wire. A client polling this
 * server can therefore reach, but not beat, the bus's physical limit.
 *
 * Half duplex, one outstanding request: bytes arriving while an answer is being "transmitted" would
 * collide on a real bus; they are discarded and counted.
 */
/** Smallest RTU ADU: address + function + CRC (§2.5.1). */
const MIN_ADU = 4;
/** Largest RTU ADU (§2.5.1: 256 bytes). */
const MAX_ADU = 256;
/** Node timers have ~1 ms granularity; wait at least this long for silence on the line. */
const MIN_SILENCE_MS = 2;

export interface ModbusRtuSimulatorOptions extends LineSettings {
  readonly path: string;
  readonly meters: ReadonlyMap<number, SimulatedMeter>;
  /** Emulate character timing (default true); false answers as fast as possible. */
  readonly emulateTiming?: boolean;
}

export interface RtuServerStats extends ModbusServerStats {
  crcErrors: number;
  collisions: number;
}

export class ModbusRtuSimulator {
  readonly options: ModbusRtuSimulatorOptions;
  readonly stats: RtuServerStats = {
    requests: 0,
    responses: 0,
    exceptions: 0,
    dropped: 0,
    badFrames: 0,
    crcErrors: 0,
    collisions: 0,
  };
  private port: SerialPort | undefined;
  private readonly pacer: Pacer = { timers: new Set() };
  private buf = Buffer.alloc(0);
  private firstByteAt = 0;
  private busFreeAt = 0;
  private answering = false;
  private silence: NodeJS.Timeout | undefined;

  constructor(options: ModbusRtuSimulatorOptions) {
    this.options = options;
  }

  private get charMs(): number {
    return this.options.emulateTiming === false ? 0 : charTimeMs(this.options);
  }
  private get gapMs(): number {
    return this.options.emulateTiming === false ? 0 : t35Ms(this.options);
  }

  async start(): Promise<void> {
    if (this.port) throw new SimulatorError('MG_ERR_SIM_STATE', 'already started');
    const port = await openSerialLine(
      {
        path: this.options.path,
        baudRate: this.options.baud,
        dataBits: 8,
        parity: this.options.parity ?? 'none',
        stopBits: this.options.stopBits ?? 1,
      },
      (chunk) => this.onData(chunk),
    );
    this.port = port;
  }

  async stop(): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.port = undefined;
    for (const t of this.pacer.timers) clearTimeout(t);
    this.pacer.timers.clear();
    if (this.silence) clearTimeout(this.silence);
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private onData(chunk: Buffer): void {
    if (this.answering) {
      this.stats.collisions++;
      return;
    }
    if (this.buf.length === 0) this.firstByteAt = performance.now();
    this.buf = Buffer.concat([this.buf, chunk]);
    if (this.buf.length > MAX_ADU) {
      this.stats.badFrames++;
      this.buf = Buffer.alloc(0);
      return;
    }
    // A complete read request with a valid CRC ends the frame at once; the emulated 3.5-character
    // silence is added to the answer's timing instead of being waited for twice.
    const pduLength = this.buf.length >= 2 ? requestPduLength(this.buf.subarray(1)) : undefined;
    if (pduLength !== undefined && this.buf.length === 1 + pduLength + 2 && crcOk(this.buf)) {
      this.endFrame();
      return;
    }
    // Otherwise the frame ends at silence (§2.5.1.1), after which it is checked and usually rejected.
    if (this.silence) clearTimeout(this.silence);
    this.silence = setTimeout(() => this.endFrame(), Math.max(MIN_SILENCE_MS, this.gapMs));
  }

  private endFrame(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = undefined;
    const frame = this.buf;
    const firstByteAt = this.firstByteAt;
    this.buf = Buffer.alloc(0);
    if (frame.length < MIN_ADU) {
      this.stats.badFrames++;
      return;
    }
    if (!crcOk(frame)) {
      // §2.5.1.2: a frame with a wrong CRC is discarded without an answer.
      this.stats.crcErrors++;
      return;
    }
    const unit = frame[0]!;
    const meter = this.options.meters.get(unit);
    // Address 0 is broadcast: reads are not allowed and nothing answers (§2.1); other ids belong to other slaves.
    if (unit === 0 || !meter) return;
    this.stats.requests++;
    const reqStart = Math.max(firstByteAt, this.busFreeAt);
    const reqEnd = reqStart + frame.length * this.charMs;
    const fault = meter.faults.decide();
    if (fault.drop) {
      this.stats.dropped++;
      this.busFreeAt = reqEnd + this.gapMs;
      return;
    }
    const answer = answerPdu(meter, frame.subarray(1, frame.length - 2), fault);
    if (answer[0]! & 0x80) this.stats.exceptions++;
    const adu = withCrc(Buffer.concat([Buffer.from([unit]), answer]));
    if (fault.corrupt) adu[adu.length - 1]! ^= 0xff;
    const respStart = reqEnd + this.gapMs + fault.delayMs;
    const byteMs = fault.byteDelayMs > 0 ? Math.max(fault.byteDelayMs, this.charMs) : 0;
    const respEnd = respStart + (byteMs > 0 ? byteMs * adu.length : adu.length * this.charMs);
    this.busFreeAt = respEnd + this.gapMs;
    this.answering = true;
    const now = performance.now();
    const port = this.port;
    const write = (b: Buffer) => port?.isOpen && port.write(b);
    if (byteMs > 0) sendPaced(this.pacer, write, adu, respStart - now, byteMs);
    else after(this.pacer, respEnd - now, () => write(adu));
    after(this.pacer, respEnd - now, () => {
      this.answering = false;
      this.stats.responses++;
    });
  }
}

import { realpathSync } from 'node:fs';
import type { SerialPort } from 'serialport';
import { SimulatorError } from '../errors.js';
import { NO_FAULT, type FaultDecision } from '../model/faults.js';
import type { SimulatedMeter } from '../model/simulated-meter.js';
import { after, sendPaced, type Pacer } from '../modbus/pacer.js';
import { openSerialLine } from '../modbus/open-serial.js';
import { ACK, CRLF, dataLines, INITIAL_BAUD, MODE_C_BAUDS, readoutMessage } from './readout.js';

/**
 * An IEC 62056-21 mode C meter on a serial line (hand-written: no maintained npm server exists).
 *
 *   HHU → `/?[address]!` CR LF                     at 300 baud, 7E1
 *   meter → `/MGS` Z ident CR LF                     after the reaction time tr (§6.3.2: 200 ms)
 *   HHU → ACK `0` Z `0` CR LF                       option select: data readout at baud Z
 *   meter → STX data `!` CR LF ETX BCC              at the new baud, then back to 300 baud
 *
 * 7E1 semantics: a real line is opened with 7 data bits and even parity (the UART adds and strips
 * the parity bit); a pty, which only carries 8-bit bytes, is opened 8N1. Either way bytes read are
 * masked to 7 bits and bytes sent are 7-bit ASCII, so a client that handles parity itself works too. Transmission time is emulated per character
 * (10 bits at 7E1) so a readout takes as long as on the wire.
 */
/** Manufacturer id; the upper-case third letter announces tr ≥ 200 ms (§6.3.13). */
const MANUFACTURER = 'MGS';
const REACTION_MS = 200;
/** §6.3.2 / annex: the meter returns to its initial state if the option select does not come. */
const ACK_TIMEOUT_MS = 1500;
const BITS_PER_CHAR_7E1 = 10;
const MAX_LINE = 64;

export interface Iec62056SimulatorOptions {
  readonly path: string;
  readonly meter: SimulatedMeter;
  /** Highest baud offered (default 9600). */
  readonly baud?: number;
  /** Reaction time tr in ms (default 200). */
  readonly reactionMs?: number;
  /** Emulate character times (default true). */
  readonly emulateTiming?: boolean;
}

type State = { kind: 'idle' } | { kind: 'await-ack'; timer: NodeJS.Timeout } | { kind: 'sending' };

export class Iec62056Simulator {
  readonly options: Iec62056SimulatorOptions;
  readonly stats = { requests: 0, readouts: 0, ignored: 0 };
  private port: SerialPort | undefined;
  private readonly pacer: Pacer = { timers: new Set() };
  private line = '';
  private pty = false;
  private fault: FaultDecision = NO_FAULT;
  private state: State = { kind: 'idle' };

  constructor(options: Iec62056SimulatorOptions) {
    this.options = options;
  }

  /** Baud code Z offered in the identification; throws on a baud mode C cannot offer. */
  private offeredCode(): number {
    const code = MODE_C_BAUDS.indexOf(this.options.baud ?? 9600);
    if (code < 0)
      throw new SimulatorError(
        'MG_ERR_SIM_CONFIG',
        `IEC 62056-21 baud must be one of ${MODE_C_BAUDS.join(', ')}`,
      );
    return code;
  }

  async start(): Promise<void> {
    if (this.port) throw new SimulatorError('MG_ERR_SIM_STATE', 'already started');
    this.offeredCode(); // reject a bad baud before opening the line
    this.pty = isPty(this.options.path);
    // A Linux pty always carries 8-bit bytes without parity (and may refuse 7E1 with EINVAL): open it
    // 8N1 and rely on the 7-bit masking below; a real line gets real 7E1.
    const framing = this.pty
      ? { dataBits: 8 as const, parity: 'none' as const }
      : { dataBits: 7 as const, parity: 'even' as const };
    const port = await openSerialLine(
      { path: this.options.path, baudRate: INITIAL_BAUD, ...framing, stopBits: 1 },
      (chunk) => this.onData(chunk),
    );
    this.port = port;
  }

  async stop(): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.port = undefined;
    if (this.state.kind === 'await-ack') clearTimeout(this.state.timer);
    for (const t of this.pacer.timers) clearTimeout(t);
    this.pacer.timers.clear();
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private charMs(baud: number): number {
    return this.options.emulateTiming === false ? 0 : (BITS_PER_CHAR_7E1 * 1000) / baud;
  }

  private onData(chunk: Buffer): void {
    if (this.state.kind === 'sending') return;
    for (const raw of chunk) {
      const c = String.fromCharCode(raw & 0x7f);
      // A request always starts with '/', an option select with ACK: resynchronise on either.
      if (c === '/' || (raw & 0x7f) === ACK) this.line = '';
      this.line += c;
      if (this.line.length > MAX_LINE) this.line = '';
      if (this.line.endsWith(CRLF)) {
        const msg = this.line.slice(0, -2);
        this.line = '';
        this.onMessage(msg);
      }
    }
  }

  private onMessage(msg: string): void {
    const request = /^\/\?([0-9A-Za-z ]{0,32})!$/.exec(msg);
    if (request) {
      const address = request[1]!;
      // §6.3.1: an addressed request is answered only by the meter with that address.
      if (address !== '' && address !== this.options.meter.serial) {
        this.stats.ignored++;
        return;
      }
      this.stats.requests++;
      if (this.state.kind === 'await-ack') clearTimeout(this.state.timer);
      // Faults: no-reply and offline swallow the session; late-reply delays the readout, bad-crc
      // spoils its BCC, slow-bytes sends it byte by byte (busy has no IEC 62056-21 equivalent).
      this.fault = this.options.meter.faults.decide();
      if (this.fault.drop) {
        this.state = { kind: 'idle' };
        return;
      }
      this.identify();
      return;
    }
    const select = msg.charCodeAt(0) === ACK ? /^.([0-9])([0-9])([0-9])$/.exec(msg) : null;
    if (select && this.state.kind === 'await-ack') {
      clearTimeout(this.state.timer);
      const z = Number(select[2]);
      const mode = select[3];
      // Only data readout (Y = 0) at a baud up to the one offered; programming mode is not simulated.
      if (mode !== '0' || z > this.offeredCode()) {
        this.stats.ignored++;
        this.state = { kind: 'idle' };
        return;
      }
      this.readout(MODE_C_BAUDS[z]!);
      return;
    }
    this.stats.ignored++;
  }

  private identify(): void {
    const ident = `/${MANUFACTURER}${this.offeredCode()}SIM-${this.options.meter.model.model.toUpperCase()}${CRLF}`;
    const delay = (this.options.reactionMs ?? REACTION_MS) + ident.length * this.charMs(INITIAL_BAUD);
    this.state = { kind: 'sending' };
    after(this.pacer, delay, () => {
      this.write(Buffer.from(ident, 'ascii'));
      const timer = setTimeout(() => (this.state = { kind: 'idle' }), ACK_TIMEOUT_MS);
      this.state = { kind: 'await-ack', timer };
    });
  }

  private readout(baud: number): void {
    this.state = { kind: 'sending' };
    const port = this.port;
    const msg = readoutMessage(dataLines(this.options.meter.serial, this.options.meter.values()));
    const fault = this.fault;
    if (fault.corrupt) msg[msg.length - 1]! ^= 0x01;
    // Both ends switch baud after the option select (§6.3.3, mode C); the answer follows after tr.
    this.setBaud(baud);
    const done = () => {
      this.setBaud(INITIAL_BAUD);
      this.state = { kind: 'idle' };
    };
    const reaction = (this.options.reactionMs ?? REACTION_MS) + fault.delayMs;
    this.stats.readouts++;
    if (fault.byteDelayMs > 0) {
      const byteMs = Math.max(fault.byteDelayMs, this.charMs(baud));
      sendPaced(this.pacer, (b) => this.write(b), msg, reaction, byteMs);
      after(this.pacer, reaction + byteMs * msg.length, () => port?.drain(done));
      return;
    }
    after(this.pacer, reaction + msg.length * this.charMs(baud), () => {
      this.write(msg);
      port?.drain(done);
    });
  }

  /**
   * serialport's update() calls tcflush(TCIOFLUSH) before changing the speed. On a UART that is
   * harmless after drain(); on a pseudo-terminal drain() can return before the peer has read the
   * bytes, and the flush throws the readout away. A pty carries no baud rate anyway, so only real
   * lines are switched (timing is emulated either way).
   */
  private setBaud(baudRate: number): void {
    const port = this.port;
    if (this.pty || !port?.isOpen) return;
    port.update({ baudRate }, () => undefined);
  }

  private write(b: Buffer): void {
    if (this.port?.isOpen) this.port.write(b);
  }
}

function isPty(path: string): boolean {
  try {
    return realpathSync(path).startsWith('/dev/pts/');
  } catch {
    return false;
  }
}

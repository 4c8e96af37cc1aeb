import { SerialPort } from 'serialport';
import type { MeterReader, PollResult } from '../edge/meter-reader.js';
import { LineQueue } from '../line-queue.js';
import {
  ackOptionSelect,
  parseDataMessage,
  parseIdentification,
  requestMessage,
  toObisValues,
  type Identification,
} from './readout.js';

export interface IecClientOptions {
  path: string;
  /** Device address for `/?<address>!` on a multi-drop line. */
  address?: string;
  /** Overall timeout for one readout (handshake + data). */
  timeoutMs?: number;
  /** Highest rate we accept to switch to (cap the meter's proposal). */
  maxBaud?: number;
  /** Shared queue when several meters are on one line; one is created otherwise. */
  lineQueue?: LineQueue;
}

/** §6.3.14: the opening rate of modes A–C is 300 baud, 7 data bits, even parity, 1 stop bit. */
const INITIAL_BAUD = 300;
/** §5.3 tr: the meter may answer 200 ms after our message; wait that long before changing rate. */
const REACTION_MS = 250;

/**
 * IEC 62056-21 mode C readout client: request at 300 baud, read the identification, acknowledge
 * with the proposed baud character, switch rate, read the data message and verify its BCC. No
 * maintained npm library covers mode C over `serialport`, so this is hand-written.
 */
export class IecClient implements MeterReader {
  readonly source = 'iec62056-21' as const;
  private readonly opts: IecClientOptions & { timeoutMs: number; maxBaud: number };
  private readonly queue: LineQueue;
  lastIdentification: Identification | null = null;

  constructor(opts: IecClientOptions) {
    this.opts = { timeoutMs: 20_000, maxBaud: 19200, ...opts };
    this.queue = opts.lineQueue ?? new LineQueue({ maxPending: 100 });
  }

  poll(): Promise<PollResult> {
    return this.queue.run(() => this.readout());
  }

  private async readout(): Promise<PollResult> {
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: INITIAL_BAUD,
      dataBits: 7,
      parity: 'even',
      stopBits: 1,
      autoOpen: false,
    });
    try {
      await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    } catch (err) {
      return { ok: false, reason: `open ${this.opts.path}: ${(err as Error).message}` };
    }
    let rx = Buffer.alloc(0);
    let wake: (() => void) | null = null;
    port.on('data', (chunk: Buffer) => {
      rx = Buffer.concat([rx, chunk]);
      if (rx.length > 64 * 1024) rx = rx.subarray(rx.length - 64 * 1024); // a babbling line cannot exhaust memory
      wake?.();
    });
    port.on('error', () => undefined);
    const deadline = Date.now() + this.opts.timeoutMs;
    const waitFor = async <T>(check: () => T | undefined): Promise<T | undefined> => {
      for (;;) {
        const v = check();
        if (v !== undefined) return v;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await new Promise<void>((res) => {
          const t = setTimeout(res, left);
          wake = () => {
            clearTimeout(t);
            res();
          };
        });
        wake = null;
      }
    };
    const write = (b: Buffer) => new Promise<void>((res) => port.write(b, () => port.drain(() => res())));
    try {
      await write(requestMessage(this.opts.address));
      const identLine = await waitFor(() => {
        // A half-duplex adapter echoes our own `/?…!` request first: an identification never has
        // '?' after the '/' (§6.3.2 starts with three letters of the manufacturer id), so skip it.
        let start = rx.indexOf(0x2f); // '/'
        while (start >= 0 && rx[start + 1] === 0x3f) start = rx.indexOf(0x2f, start + 1);
        if (start < 0) return undefined;
        const end = rx.indexOf('\r\n', start);
        return end < 0 ? undefined : rx.subarray(start, end + 2).toString('latin1');
      });
      if (identLine === undefined)
        return { ok: false, reason: 'no identification message before the timeout' };
      const ident = parseIdentification(identLine);
      if (!ident.ok) return ident;
      this.lastIdentification = ident.value;
      const baud =
        ident.value.baud <= this.opts.maxBaud
          ? ident.value
          : { ...ident.value, baud: INITIAL_BAUD, baudChar: '0' };
      rx = Buffer.alloc(0);
      await write(ackOptionSelect(baud.baudChar));
      if (baud.baud !== INITIAL_BAUD) {
        await new Promise((r) => setTimeout(r, REACTION_MS));
        await new Promise<void>((res, rej) =>
          port.update({ baudRate: baud.baud }, (e) => (e ? rej(e) : res())),
        );
      }
      const data = await waitFor(() => {
        const r = parseDataMessage(rx);
        return r.ok === 'incomplete' ? undefined : r;
      });
      if (data === undefined)
        return { ok: false, reason: `no complete data message (STX…ETX BCC) before the timeout` };
      if (!data.ok) return data;
      const { values } = toObisValues(data.value);
      if (Object.keys(values).length === 0)
        return { ok: false, reason: 'data message has no numeric OBIS value' };
      return { ok: true, values };
    } catch (err) {
      return { ok: false, reason: `serial error: ${(err as Error).message}` };
    } finally {
      await new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res()));
    }
  }
}

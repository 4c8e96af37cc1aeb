import { concat } from './bytes.js';
import { DlmsError } from './errors.js';
import {
  decodeParameters,
  encodeFrame,
  encodeParameters,
  HdlcSplitter,
  LLC_REQUEST,
  type HdlcAddress,
  type HdlcFrame,
  type HdlcParameters,
} from './hdlc-frame.js';
import { UnitQueue, type ByteLink } from './link.js';
import { encodeWrapper, WrapperSplitter } from './wrapper.js';

/** What the client needs from a transport: whole APDUs in, whole APDUs out. */
export interface DlmsTransport {
  open(): Promise<void>;
  /** Send one APDU and wait for the meter's next APDU. */
  request(apdu: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
  readonly description: string;
}

export interface TransportTiming {
  /** Per-answer timeout (ms). */
  readonly timeoutMs?: number;
}

/** IEC 62056-47 wrapper over TCP: one APDU per frame, wPorts for addressing. */
export class WrapperTransport implements DlmsTransport {
  private readonly queue = new UnitQueue<Uint8Array>();
  private readonly splitter = new WrapperSplitter();
  readonly description: string;

  constructor(
    private readonly link: ByteLink,
    private readonly clientWPort: number,
    private readonly serverWPort: number,
    private readonly timing: TransportTiming = {},
  ) {
    this.description = `wrapper ${clientWPort}→${serverWPort}`;
    link.onData((chunk) => {
      try {
        for (const f of this.splitter.push(chunk)) {
          // Frames for another client or from another logical device are not ours.
          if (f.destination === this.clientWPort && f.source === this.serverWPort) this.queue.push(f.apdu);
        }
      } catch (err) {
        this.queue.fail(err as Error);
        void link.close();
      }
    });
    link.onClose((e) => this.queue.fail(e));
  }

  async open(): Promise<void> {}

  async request(apdu: Uint8Array): Promise<Uint8Array> {
    this.link.write(encodeWrapper(this.clientWPort, this.serverWPort, apdu));
    return this.queue.next(this.timing.timeoutMs ?? 5000, 'wrapper answer');
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}

export interface HdlcOptions extends TransportTiming {
  readonly clientSap: number;
  readonly server: HdlcAddress;
  /** Our proposal in the SNRM; undefined sends an SNRM without information field (defaults apply). */
  readonly proposal?: HdlcParameters;
  /** IEC 62056-21 mode E opening before HDLC (optical ports, and TCP peers that emulate them). */
  readonly modeE?: boolean;
  /** Called with the baud rate agreed in mode E (serial lines switch speed there). */
  readonly onBaud?: (baud: number) => Promise<void> | void;
  /** Re-polls (RR) of a lost or corrupted answer before giving up. */
  readonly retries?: number;
}

const BAUD: Record<string, number> = {
  '0': 300,
  '1': 600,
  '2': 1200,
  '3': 2400,
  '4': 4800,
  '5': 9600,
  '6': 19200,
};

/**
 * HDLC (IEC 62056-46) over a byte link: SNRM/UA with parameter negotiation, numbered I-frames with
 * segmentation in both directions, RR acknowledgements of segments, RR re-polls after a lost or bad
 * frame, DISC on close. Window 1 (one outstanding frame), which every meter accepts.
 */
export class HdlcTransport implements DlmsTransport {
  private readonly frames = new UnitQueue<HdlcFrame>();
  private readonly lines = new UnitQueue<string>();
  private readonly splitter = new HdlcSplitter();
  private readonly client: HdlcAddress;
  private vs = 0;
  private vr = 0;
  private inModeE = false;
  private lineBuf = '';
  params: HdlcParameters = { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 };
  readonly description: string;

  constructor(
    private readonly link: ByteLink,
    private readonly options: HdlcOptions,
  ) {
    this.client = { upper: options.clientSap, size: 1 };
    this.description = `hdlc ${options.clientSap}→${options.server.upper}${options.server.lower !== undefined ? `/${options.server.lower}` : ''}`;
    this.inModeE = !!options.modeE;
    link.onData((chunk) => this.onData(chunk));
    link.onClose((e) => {
      this.frames.fail(e);
      this.lines.fail(e);
    });
  }

  private get timeout(): number {
    return this.options.timeoutMs ?? 5000;
  }

  private onData(chunk: Uint8Array): void {
    if (this.inModeE) {
      this.lineBuf += Buffer.from(chunk).toString('latin1');
      let i: number;
      while ((i = this.lineBuf.indexOf('\r\n')) >= 0) {
        this.lines.push(this.lineBuf.slice(0, i));
        this.lineBuf = this.lineBuf.slice(i + 2);
      }
      return;
    }
    for (const r of this.splitter.push(chunk)) {
      // Bad check sequences are dropped: the re-poll in receive() recovers (§8.4.3).
      if (!r.ok) continue;
      const f = r.frame;
      if (f.destination.upper !== this.client.upper) continue;
      if (f.source.upper !== this.options.server.upper) continue;
      if (this.options.server.lower !== undefined && f.source.lower !== this.options.server.lower) continue;
      this.frames.push(f);
    }
  }

  private lastI: Uint8Array | undefined;

  private send(kind: HdlcFrame['kind'], extra: { info?: Uint8Array; segmented?: boolean } = {}): void {
    const frame = encodeFrame({
      destination: this.options.server,
      source: this.client,
      kind,
      poll: true,
      ns: this.vs,
      nr: this.vr,
      ...extra,
    });
    if (kind === 'i') this.lastI = frame;
    this.link.write(frame);
  }

  /** IEC 62056-21 §6.4.5 mode E: "/?!", identification, ACK with protocol mode 2 (HDLC). */
  private async openModeE(): Promise<void> {
    this.link.write(Buffer.from('/?!\r\n', 'latin1'));
    const ident = await this.lines.next(this.timeout, 'IEC 62056-21 identification');
    const m = /^\/[A-Za-z]{3}([0-9A-Z])\\?2?/.exec(ident.replace(/^[^/]*/, ''));
    if (!m)
      throw new DlmsError(
        'MG_ERR_DLMS_PROTOCOL',
        `not an IEC 62056-21 identification: ${JSON.stringify(ident)}`,
      );
    const baudChar = m[1]!;
    this.link.write(Buffer.from(`\x062${baudChar}2\r\n`, 'latin1'));
    // Anything after the ACK is HDLC; an echoed ACK line has no flag and is skipped by the splitter.
    const rest = this.lineBuf;
    this.lineBuf = '';
    this.inModeE = false;
    this.lines.clear();
    if (rest) this.onData(Buffer.from(rest, 'latin1'));
    await this.options.onBaud?.(BAUD[baudChar] ?? 300);
  }

  async open(): Promise<void> {
    if (this.options.modeE) await this.openModeE();
    let ua: HdlcFrame;
    for (let attempt = 0; ; attempt++) {
      this.send('snrm', this.options.proposal ? { info: encodeParameters(this.options.proposal) } : {});
      try {
        ua = await this.expect(['ua', 'dm'], 'UA to SNRM');
        break;
      } catch (err) {
        // A lost or damaged UA: SNRM again (it resets the link, so repeating it is harmless).
        if (
          !(err instanceof DlmsError) ||
          err.code !== 'MG_ERR_DLMS_TIMEOUT' ||
          attempt >= (this.options.retries ?? 2)
        )
          throw err;
      }
    }
    if (ua.kind === 'dm')
      throw new DlmsError('MG_ERR_DLMS_ASSOCIATION', 'the meter refused the HDLC connection (DM)');
    const server = decodeParameters(ua.info);
    const mine = this.options.proposal ?? this.params;
    // The UA states the server's own transmit/receive limits; we send at most what it can receive.
    this.params = {
      maxInfoTx: Math.min(mine.maxInfoTx, server.maxInfoRx),
      maxInfoRx: Math.min(mine.maxInfoRx, server.maxInfoTx),
      windowTx: 1,
      windowRx: 1,
    };
    this.vs = 0;
    this.vr = 0;
  }

  private async expect(kinds: HdlcFrame['kind'][], what: string): Promise<HdlcFrame> {
    for (;;) {
      const f = await this.frames.next(this.timeout, what);
      if (kinds.includes(f.kind)) return f;
      if (f.kind === 'frmr') throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'the meter rejected a frame (FRMR)');
      if (f.kind === 'dm') throw new DlmsError('MG_ERR_DLMS_CLOSED', 'the meter is disconnected (DM)');
    }
  }

  /** Next I-frame in sequence, re-polling with RR when it does not come or came damaged. */
  private async nextIFrame(): Promise<HdlcFrame> {
    let polls = 0;
    for (;;) {
      try {
        const f = await this.expect(['i', 'rr'], 'HDLC I-frame');
        if (f.kind === 'rr') {
          // The meter's N(R) says our last I-frame never arrived (§8.4.3): send it again.
          if (f.nr !== this.vs && this.lastI) this.link.write(this.lastI);
          continue;
        }
        if (f.ns !== this.vr) continue; // a repeat of a frame we already have
        this.vr = (this.vr + 1) & 7;
        return f;
      } catch (err) {
        if (!(err instanceof DlmsError) || err.code !== 'MG_ERR_DLMS_TIMEOUT') throw err;
        if (polls++ >= (this.options.retries ?? 2)) throw err;
        this.send('rr');
      }
    }
  }

  async request(apdu: Uint8Array): Promise<Uint8Array> {
    const info = concat([LLC_REQUEST, apdu]);
    const max = this.params.maxInfoTx;
    for (let off = 0; off < info.length; off += max) {
      const part = info.subarray(off, off + max);
      const last = off + max >= info.length;
      this.send('i', { info: part, segmented: !last });
      this.vs = (this.vs + 1) & 7;
      if (!last) await this.expect(['rr'], 'RR to a segment');
    }
    const parts: Uint8Array[] = [];
    for (;;) {
      const f = await this.nextIFrame();
      parts.push(f.info);
      if (!f.segmented) break;
      this.send('rr');
    }
    const whole = concat(parts);
    if (whole.length < 3 || whole[0] !== 0xe6 || whole[1] !== 0xe7)
      throw new DlmsError('MG_ERR_DLMS_FRAME', 'HDLC answer without the LLC header E6 E7 00');
    return whole.subarray(3);
  }

  async close(): Promise<void> {
    try {
      this.send('disc');
      await this.expect(['ua', 'dm'], 'UA to DISC');
    } catch {
      // The link goes down either way.
    }
    await this.link.close();
  }
}

import net from 'node:net';
import {
  decodeHdlcParameters,
  encodeHdlcFrame,
  encodeHdlcParameters,
  encodeWrapper,
  HdlcSplitter,
  LLC_RESPONSE,
  WrapperSplitter,
  type HdlcAddress,
  type HdlcFrame,
} from '../../drivers/index.js';
import { SimulatorError } from '../errors.js';
import { hashString, uniform } from '../model/random.js';
import type { DlmsMeter } from './dlms-meter.js';
import { ServerAssociation, type ServerSecurity } from './server-association.js';

/**
 * N simulated DLMS meters behind one TCP port, like a data concentrator: the IEC 62056-47 wrapper
 * (destination wPort 1..N) or HDLC (IEC 62056-46, upper address 1..N, any lower address), with the
 * IEC 62056-21 mode E opening accepted before HDLC. Fault injection: dropped answers, corrupted HDLC
 * check sequences, slow answers, refused associations, a connection dropped after K answers.
 */
export type DlmsSimTransport = 'wrapper' | 'hdlc';

export interface DlmsFaults {
  readonly dropRate?: number;
  readonly crcErrorRate?: number;
  readonly delayMs?: number;
  readonly refuseAssociation?: boolean;
  /** Close the connection after this many answers (an association dropped mid-read). */
  readonly dropConnectionAfter?: number;
}

export interface DlmsServerOptions {
  readonly meters: readonly DlmsMeter[];
  readonly transport: DlmsSimTransport;
  readonly host?: string;
  readonly port?: number;
  readonly security: ServerSecurity;
  readonly faults?: DlmsFaults;
  readonly seed?: string | number;
}

const MAX_INFO = 2030;

/** What the HDLC side needs of a connection: a TCP socket or a serial port. */
export interface ByteStream {
  write(b: Uint8Array): unknown;
  destroy(): unknown;
  readonly destroyed: boolean;
  on(event: 'data', cb: (chunk: Buffer) => void): unknown;
}

interface HdlcLink {
  connected: boolean;
  vs: number;
  vr: number;
  maxTx: number;
  maxRx: number;
  rx: Uint8Array[];
  tx: Uint8Array[];
  last?: Uint8Array;
}

export class DlmsServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private draws = 0;
  answers = 0;

  constructor(readonly options: DlmsServerOptions) {}

  get port(): number {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new SimulatorError('MG_ERR_SIM_STATE', 'DLMS server not started');
    return a.port;
  }

  async start(): Promise<void> {
    const server = net.createServer((s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(
          new SimulatorError(
            'MG_ERR_SIM_LISTEN',
            `DLMS ${this.options.host ?? '127.0.0.1'}:${this.options.port ?? 0}: ${e.message}`,
          ),
        ),
      );
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private chance(rate: number | undefined): boolean {
    if (!rate) return false;
    return uniform(hashString(String(this.options.seed ?? 'dlms')), this.draws++, 0xd1) < rate;
  }

  private association(
    map: Map<string, ServerAssociation>,
    meterIndex: number,
    clientSap: number,
    serverSap: number,
  ): ServerAssociation | undefined {
    const meter = this.options.meters[meterIndex - 1];
    if (!meter?.powered) return undefined;
    const key = `${meterIndex}/${clientSap}`;
    let a = map.get(key);
    if (!a) {
      a = new ServerAssociation(
        meter,
        clientSap,
        this.options.security,
        serverSap,
        this.options.faults?.refuseAssociation,
      );
      map.set(key, a);
    }
    return a;
  }

  /** Deliver an answer, subject to the faults; resolves when written. */
  private emit(socket: ByteStream, bytes: Uint8Array, corruptible: boolean): void {
    const f = this.options.faults ?? {};
    if (this.chance(f.dropRate)) return;
    let out = bytes;
    if (corruptible && this.chance(f.crcErrorRate)) {
      out = bytes.slice();
      out[out.length - 2]! ^= 0xff;
    }
    const send = () => {
      if (socket.destroyed) return;
      socket.write(out);
      this.answers++;
      if (f.dropConnectionAfter !== undefined && this.answers >= f.dropConnectionAfter) socket.destroy();
    };
    if (f.delayMs) setTimeout(send, f.delayMs);
    else send();
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const assocs = new Map<string, ServerAssociation>();
    if (this.options.transport === 'wrapper') {
      const splitter = new WrapperSplitter();
      socket.on('data', (chunk: Buffer) => {
        let frames;
        try {
          frames = splitter.push(chunk);
        } catch {
          socket.destroy(); // the wrapper cannot resynchronise
          return;
        }
        for (const f of frames) {
          const a = this.association(assocs, f.destination, f.source, f.destination);
          const reply = a?.handle(f.apdu);
          if (reply) this.emit(socket, encodeWrapper(f.destination, f.source, reply), false);
        }
      });
      return;
    }
    this.serveHdlc(socket, assocs);
  }

  /** Serve HDLC (with the mode E opening) on any byte stream, e.g. the meter end of a serial line. */
  serveHdlc(socket: ByteStream, assocs: Map<string, ServerAssociation>): void {
    const splitter = new HdlcSplitter();
    const links = new Map<string, HdlcLink>();
    let modeE: 'maybe' | 'ident' | 'off' = 'maybe';
    let lineBuf = '';
    const send = (
      server: HdlcAddress,
      client: HdlcAddress,
      link: HdlcLink,
      kind: HdlcFrame['kind'],
      info?: Uint8Array,
      segmented = false,
    ) => {
      const frame = encodeHdlcFrame({
        destination: client,
        source: server,
        kind,
        poll: true,
        ns: link.vs,
        nr: link.vr,
        info,
        segmented,
      });
      if (kind === 'i') {
        link.vs = (link.vs + 1) & 7;
        link.last = frame;
      }
      this.emit(socket, frame, true);
    };
    const onFrame = (f: HdlcFrame) => {
      const server = f.destination;
      const client = f.source;
      const meterIndex = server.upper;
      if (!this.options.meters[meterIndex - 1]?.powered) return;
      const key = `${meterIndex}/${client.upper}`;
      let link = links.get(key);
      if (!link) {
        link = { connected: false, vs: 0, vr: 0, maxTx: 128, maxRx: 128, rx: [], tx: [] };
        links.set(key, link);
      }
      const assoc = () => this.association(assocs, meterIndex, client.upper, meterIndex);
      switch (f.kind) {
        case 'snrm': {
          let p = { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 };
          try {
            p = decodeHdlcParameters(f.info, p);
          } catch {
            send(server, client, link, 'frmr');
            return;
          }
          // The client's transmit limit is our receive limit and vice versa (§8.4.5.3.2).
          link.maxRx = Math.min(MAX_INFO, Math.max(32, p.maxInfoTx));
          link.maxTx = Math.min(MAX_INFO, Math.max(32, p.maxInfoRx));
          Object.assign(link, { connected: true, vs: 0, vr: 0, rx: [], tx: [] });
          assoc()?.reset();
          send(
            server,
            client,
            link,
            'ua',
            encodeHdlcParameters({ maxInfoTx: link.maxTx, maxInfoRx: link.maxRx, windowTx: 1, windowRx: 1 }),
          );
          return;
        }
        case 'disc':
          // An optical port goes back to IEC 62056-21 after the HDLC link ends (next opening may be mode E).
          modeE = 'maybe';
          send(server, client, link, link.connected ? 'ua' : 'dm');
          link.connected = false;
          assoc()?.reset();
          return;
        case 'rr': {
          if (!link.connected) return send(server, client, link, 'dm');
          // N(R) short of our V(S): the client missed our last frame (lost or bad FCS): send it again.
          if (f.nr !== link.vs && link.last) return this.emit(socket, link.last, true);
          const next = link.tx.shift();
          if (next) send(server, client, link, 'i', next, link.tx.length > 0);
          // Nothing to send: answer with our N(R), which tells the client what we received.
          else send(server, client, link, 'rr');
          return;
        }
        case 'i': {
          if (!link.connected) return send(server, client, link, 'dm');
          if (f.ns !== link.vr) {
            send(server, client, link, 'rr');
            return;
          }
          link.vr = (link.vr + 1) & 7;
          link.rx.push(f.info);
          if (f.segmented) {
            send(server, client, link, 'rr');
            return;
          }
          const whole = Buffer.concat(link.rx);
          link.rx = [];
          if (whole.length < 3 || whole[0] !== 0xe6 || whole[1] !== 0xe6)
            return send(server, client, link, 'frmr');
          const reply = assoc()?.handle(whole.subarray(3));
          if (!reply) return;
          const info = Buffer.concat([LLC_RESPONSE, reply]);
          const parts: Uint8Array[] = [];
          for (let o = 0; o < info.length; o += link.maxTx) parts.push(info.subarray(o, o + link.maxTx));
          link.tx = parts.slice(1);
          send(server, client, link, 'i', parts[0], link.tx.length > 0);
          return;
        }
        default:
          return;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (modeE !== 'off') {
        // IEC 62056-21 §6.4.5 mode E: "/?!" → identification; ACK "2" → HDLC from the next byte.
        const flag = chunk.indexOf(0x7e);
        if (modeE === 'maybe' && chunk[0] !== 0x2f) modeE = 'off';
        else if (modeE === 'ident' && flag >= 0 && !(lineBuf + chunk.toString('latin1')).includes('\x06')) {
          // HDLC without the ACK (a lost or skipped acknowledgement): leave mode E rather than wait forever.
          modeE = 'off';
          lineBuf = '';
          chunk = chunk.subarray(flag);
        } else {
          lineBuf += chunk.toString('latin1');
          let i: number;
          while ((i = lineBuf.indexOf('\r\n')) >= 0) {
            const line = lineBuf.slice(0, i);
            lineBuf = lineBuf.slice(i + 2);
            if (line.startsWith('/?')) {
              modeE = 'ident';
              socket.write(Buffer.from(`/MGS5${this.options.meters[0]?.options.id ?? 'DLMS'}\r\n`, 'latin1'));
            } else if (line.startsWith('\x06')) {
              modeE = 'off';
              socket.write(Buffer.from(`${line}\r\n`, 'latin1'));
              chunk = Buffer.from(lineBuf, 'latin1');
              lineBuf = '';
              break;
            }
          }
          if (modeE !== 'off' || chunk.length === 0) return;
        }
      }
      for (const r of splitter.push(chunk)) if (r.ok) onFrame(r.frame);
    });
  }
}

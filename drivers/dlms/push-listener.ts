import net from 'node:net';
import type { DlmsData } from './axdr.js';
import { powerEventOf, toReadingValue, type PowerEventKind } from './cosem-readings.js';
import { decodeDateTime } from './date-time.js';
import { DlmsError } from './errors.js';
import { parseObjectRef } from './obis.js';
import { decodeCiphered, unprotect, type CipherKeys } from './security.js';
import { WrapperSplitter } from './wrapper.js';
import { decodeXdlms } from './xdlms.js';

/**
 * A DLMS push listener (Green Book §9.3.10 DataNotification; Blue Book class 40 push setup): meters
 * connect over TCP with the IEC 62056-47 wrapper and send unsolicited DataNotification APDUs, plain
 * or general-glo-ciphered. Each notification becomes one event; a malformed frame is counted and
 * dropped (the connection is closed when the wrapper loses sync), never thrown.
 */
export interface PushEvent {
  readonly sourceWPort: number;
  readonly destinationWPort: number;
  readonly systemTitle?: Uint8Array;
  readonly longInvokeId: number;
  /** Capture time from the notification's date-time, when present and fully specified. */
  readonly time?: number;
  readonly body: DlmsData;
}

export interface PushListenerOptions {
  readonly host?: string;
  readonly port?: number;
  /** Keys of ciphering meters by system title (hex); unknown titles are dropped. */
  readonly keysFor?: (systemTitleHex: string) => CipherKeys | undefined;
  readonly onEvent: (e: PushEvent) => void;
  readonly onError?: (err: DlmsError) => void;
}

export class DlmsPushListener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  received = 0;
  rejected = 0;

  constructor(private readonly o: PushListenerOptions) {}

  get port(): number {
    const a = this.server?.address();
    return a && typeof a !== 'string' ? a.port : 0;
  }

  async start(): Promise<void> {
    const server = net.createServer((s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 4059, this.o.host ?? '0.0.0.0', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private reject(err: unknown): void {
    this.rejected++;
    this.o.onError?.(err instanceof DlmsError ? err : new DlmsError('MG_ERR_DLMS_DECODE', String(err)));
  }

  /** Decode one pushed APDU (exported for tests and fuzzing through `handle`). */
  handle(sourceWPort: number, destinationWPort: number, apdu: Uint8Array): void {
    try {
      let plain = apdu;
      let systemTitle: Uint8Array | undefined;
      if (apdu[0] === 0xdb) {
        const c = decodeCiphered(apdu);
        systemTitle = c.systemTitle;
        const keys = systemTitle && this.o.keysFor?.(Buffer.from(systemTitle).toString('hex'));
        if (!keys || !systemTitle)
          throw new DlmsError('MG_ERR_DLMS_CIPHER', 'ciphered push from an unknown system title');
        plain = unprotect(c.content, systemTitle, keys).plain;
      }
      const x = decodeXdlms(plain);
      if (x.kind !== 'data-notification')
        throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `pushed ${x.kind}, not a DataNotification`);
      this.received++;
      this.o.onEvent({
        sourceWPort,
        destinationWPort,
        systemTitle,
        longInvokeId: x.longInvokeId,
        time: x.dateTime ? decodeDateTime(x.dateTime) : undefined,
        body: x.body,
      });
    } catch (err) {
      this.reject(err);
    }
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const splitter = new WrapperSplitter();
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = splitter.push(chunk);
      } catch (err) {
        this.reject(err);
        socket.destroy();
        return;
      }
      for (const f of frames) this.handle(f.source, f.destination, f.apdu);
    });
  }
}

/**
 * Map a push body (a structure whose elements follow the push setup's object list) to registry
 * readings: `objects[i]` names element i as `[CLASS:]OBIS[:ATTR]`, with the scaler and unit the meter
 * uses for it (a push carries values, not their scaler_unit).
 */
export function pushValues(
  body: DlmsData,
  objects: readonly { ref: string; scaler?: number; unit?: number }[],
): Record<string, number> {
  const items = body.type === 'structure' || body.type === 'array' ? body.value : [body];
  const out: Record<string, number> = {};
  objects.forEach((o, i) => {
    const d = items[i];
    if (!d) return;
    const ref = parseObjectRef(o.ref);
    const su = o.unit !== undefined ? { scaler: o.scaler ?? 0, unit: o.unit } : undefined;
    const v = toReadingValue(ref.ln, d, su);
    if (v) out[v.code] = v.value;
  });
  return out;
}

/**
 * The power event a push carries, if any: the element the object list names as the standard event
 * code object (0-0:96.11.0.255) holding code 1 (power down, the "last gasp") or 2 (power up).
 */
export function pushPowerEvent(
  body: DlmsData,
  objects: readonly { ref: string }[],
): PowerEventKind | undefined {
  const items = body.type === 'structure' || body.type === 'array' ? body.value : [body];
  for (const [i, o] of objects.entries()) {
    const d = items[i];
    const kind = d && powerEventOf(parseObjectRef(o.ref).ln, d);
    if (kind) return kind;
  }
  return undefined;
}

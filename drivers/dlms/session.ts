import { parseObis } from './obis.js';
import { DlmsClient, type DlmsAuth, type DlmsClientOptions } from './client.js';
import { DlmsError } from './errors.js';
import { connectTcp, openSerial } from './link.js';
import { HdlcTransport, WrapperTransport, type DlmsTransport } from './transport.js';
import type { CipherKeys } from './security.js';

/**
 * One DLMS session as the CLI, the bench and the edge open it: connect, link setup, association.
 * `invocationCounter: 'auto'` reads 0.0.43.1.0.255 through the public client 16 first, as head-end
 * systems do before an HLS-GMAC association (the meter refuses a counter below it).
 */
export interface SessionOptions {
  readonly host: string;
  readonly port: number;
  /** HDLC over a serial line instead of TCP (host/port ignored); `baud` is the opening speed. */
  readonly serial?: { path: string; baud?: number };
  readonly transport?: 'wrapper' | 'hdlc';
  readonly clientSap?: number;
  /** Wrapper destination wPort, or HDLC upper address. */
  readonly server?: number;
  /** HDLC lower (physical) address: four-byte server address when set. */
  readonly serverLower?: number;
  readonly modeE?: boolean;
  readonly auth?: DlmsAuth;
  readonly password?: Uint8Array;
  readonly keys?: CipherKeys;
  readonly systemTitle?: Uint8Array;
  readonly invocationCounter?: number | 'auto';
  readonly timeoutMs?: number;
  readonly maxPduSize?: number;
  readonly client?: Partial<DlmsClientOptions>;
}

export const DEFAULT_CLIENT_SAP: Record<DlmsAuth, number> = { none: 16, low: 17, 'high-gmac': 1 };
const INVOCATION_COUNTER_LN = '0.0.43.1.0.255';

export interface Session {
  readonly client: DlmsClient;
  readonly transport: DlmsTransport;
  /** Release (best effort) and close the link. */
  close(): Promise<void>;
}

async function openTransport(o: SessionOptions, clientSap: number): Promise<DlmsTransport> {
  const server = o.server ?? 1;
  if (o.serial) {
    const serial = await openSerial(o.serial.path, o.serial.baud ?? (o.modeE ? 300 : 9600));
    return new HdlcTransport(serial, {
      clientSap,
      server:
        o.serverLower !== undefined
          ? { upper: server, lower: o.serverLower, size: 4 }
          : { upper: server, size: 1 },
      modeE: o.modeE,
      onBaud: o.modeE ? (b) => serial.setBaud(b) : undefined,
      timeoutMs: o.timeoutMs,
    });
  }
  const link = await connectTcp(o.host, o.port, o.timeoutMs ?? 5000);
  if ((o.transport ?? 'wrapper') === 'wrapper')
    return new WrapperTransport(link, clientSap, server, { timeoutMs: o.timeoutMs });
  return new HdlcTransport(link, {
    clientSap,
    server:
      o.serverLower !== undefined
        ? { upper: server, lower: o.serverLower, size: 4 }
        : { upper: server, size: 1 },
    modeE: o.modeE,
    timeoutMs: o.timeoutMs,
  });
}

export async function readInvocationCounter(o: SessionOptions): Promise<number> {
  const s = await openSession({ ...o, auth: 'none', clientSap: 16, invocationCounter: 0 });
  try {
    const r = await s.client.get({ classId: 1, ln: parseObis(INVOCATION_COUNTER_LN), attribute: 2 });
    if (r.data.type !== 'double-long-unsigned')
      throw new DlmsError(
        'MG_ERR_DLMS_PROTOCOL',
        `${INVOCATION_COUNTER_LN} is ${r.data.type}, not double-long-unsigned`,
      );
    return r.data.value;
  } finally {
    await s.close();
  }
}

export async function openSession(o: SessionOptions): Promise<Session> {
  const auth = o.auth ?? 'none';
  const clientSap = o.clientSap ?? DEFAULT_CLIENT_SAP[auth];
  let ic = o.invocationCounter === 'auto' ? undefined : o.invocationCounter;
  if (auth === 'high-gmac' && (o.invocationCounter ?? 'auto') === 'auto') ic = await readInvocationCounter(o);
  const transport = await openTransport(o, clientSap);
  const client = new DlmsClient(transport, {
    auth,
    password: o.password,
    keys: o.keys,
    systemTitle: o.systemTitle,
    invocationCounter: ic ?? 0,
    maxPduSize: o.maxPduSize,
    conformance: auth === 'high-gmac' ? 0x60525f : 0x20525f,
    ...o.client,
  });
  try {
    await transport.open();
    await client.associate();
  } catch (err) {
    await transport.close().catch(() => {});
    throw err;
  }
  return {
    client,
    transport,
    close: async () => {
      try {
        await client.release();
      } catch {
        // A meter that refuses the release is closed all the same.
      }
      await transport.close();
    },
  };
}

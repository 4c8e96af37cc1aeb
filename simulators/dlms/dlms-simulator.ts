import { dlmsFromHex, type CipherKeys } from '../../drivers/index.js';
import type { SerialPort } from 'serialport';
import { SimClock, type Clock } from '../model/clock.js';
import { openSerialLine } from '../modbus/open-serial.js';
import type { ProfileKind } from '../model/load-profile.js';
import { DlmsMeter } from './dlms-meter.js';
import { DlmsServer, type DlmsFaults, type DlmsSimTransport } from './dlms-server.js';

/**
 * `metergate simulate --dlms HOST:PORT`: N meters on one port. The default keys are the DLMS UA's
 * published example keys (Green Book), clearly test material, printed at start; real deployments
 * pass their own with --dlms-ek / --dlms-ak.
 */
export const DEFAULT_DLMS_PASSWORD = 'metergate';
export const DEFAULT_DLMS_KEYS = {
  ek: '000102030405060708090a0b0c0d0e0f',
  ak: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf',
} as const;

export interface DlmsSimulatorOptions {
  readonly meters: number;
  readonly transport?: DlmsSimTransport;
  readonly host?: string;
  readonly port?: number;
  readonly password?: string;
  readonly keys?: CipherKeys;
  readonly seed?: string | number;
  readonly profile?: ProfileKind;
  readonly clock?: Clock;
  readonly faults?: DlmsFaults;
  /** Fixed server challenge (replay tests only). */
  readonly challenge?: Uint8Array;
  readonly idPrefix?: string;
}

export class DlmsSimulator {
  readonly meters: DlmsMeter[];
  readonly server: DlmsServer;
  readonly clock: Clock;

  constructor(o: DlmsSimulatorOptions) {
    this.clock = o.clock ?? new SimClock();
    const start = this.clock.now();
    this.meters = Array.from(
      { length: o.meters },
      (_, i) =>
        new DlmsMeter({
          id: `${o.idPrefix ?? 'dlms-'}${String(i + 1).padStart(3, '0')}`,
          seed: o.seed ?? 1,
          profile: o.profile,
          clock: this.clock,
          start,
        }),
    );
    this.server = new DlmsServer({
      meters: this.meters,
      transport: o.transport ?? 'wrapper',
      host: o.host,
      port: o.port,
      seed: o.seed,
      faults: o.faults,
      security: {
        password: Buffer.from(o.password ?? DEFAULT_DLMS_PASSWORD, 'latin1'),
        keys: o.keys ?? { ek: dlmsFromHex(DEFAULT_DLMS_KEYS.ek), ak: dlmsFromHex(DEFAULT_DLMS_KEYS.ak) },
        challenge: o.challenge ? () => o.challenge! : undefined,
      },
    });
  }

  async start(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
    for (const p of this.serial) await new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));
  }

  private readonly serial: SerialPort[] = [];

  /** Also serve HDLC (and the mode E opening) on a serial line, e.g. one end of a pty pair. */
  async serveSerial(path: string, baudRate = 9600): Promise<void> {
    const port = await openSerialLine(
      { path, baudRate, dataBits: 8, parity: 'none', stopBits: 1 },
      () => undefined,
    );
    this.serial.push(port);
    this.server.serveHdlc(port, new Map());
  }

  get port(): number {
    return this.server.port;
  }
}

import {
  DlmsValue as D,
  encodeDlmsDateTime,
  decodeDlmsDateTime,
  parseObis,
  type AccessSelection,
  type DlmsData,
} from '../../drivers/index.js';
import type { Clock } from '../model/clock.js';
import type { ProfileKind } from '../model/load-profile.js';
import { MeterEnergy } from './meter-energy.js';
import { captureObjectsData, ProfileBuffer } from './profile-buffer.js';

/**
 * The COSEM objects of one simulated meter (Blue Book interface classes 1, 3, 4, 5, 7, 8, 15, 64,
 * 70) over its energy model. Access rights follow the usual utility split: the public client 16
 * reads, the LLS client 17 reads and sets the clock, the HLS-GMAC client 1 may also act
 * (disconnect control). Attributes answer A-XDR data, or `raw` bytes for the profile buffer.
 */
export type Answer = { data: DlmsData } | { raw: Uint8Array } | { dar: number };

export interface Caller {
  readonly clientSap: number;
  /** The current association's own attributes (class 15), filled by the association. */
  readonly association: (attribute: number) => Answer;
}

export interface CosemObject {
  readonly classId: number;
  readonly version: number;
  readonly obis: string;
  readonly ln: Uint8Array;
  readonly attributes: number;
  readonly methods: number;
  get(attribute: number, caller: Caller, access?: AccessSelection): Answer;
  set?(attribute: number, value: DlmsData, caller: Caller): number;
  action?(
    method: number,
    params: DlmsData | undefined,
    caller: Caller,
  ): { result: number; returned?: DlmsData };
}

export const DAR_DENIED = 3;
export const DAR_UNDEFINED = 4;
export const DAR_TYPE_UNMATCHED = 12;
export const DAR_SCOPE = 13;
const HLS_CLIENT = 1;
const LLS_CLIENT = 17;

export interface DlmsMeterOptions {
  readonly id: string;
  readonly seed: string | number;
  readonly profile?: ProfileKind;
  readonly clock: Clock;
  readonly start: number;
  /** Logical device name (16 characters); default "MGS" + zero-padded index. */
  readonly deviceName?: string;
}

const su = (scaler: number, unit: number) => D.struct(D.i8(scaler), D.enum(unit));

export class DlmsMeter {
  readonly energy: MeterEnergy;
  readonly profile: ProfileBuffer;
  readonly objects: CosemObject[];
  /** Minimum invocation counter the HLS-GMAC client must use next (0.0.43.1.0.255). */
  expectedInvocationCounter = 0;
  /** The meter's own invocation counter for the APDUs it ciphers. */
  serverInvocationCounter = 0;
  /** Supply present: a meter without it answers nobody (its last gasp is pushed, see DlmsSimulator). */
  powered = true;
  /** Clock offset set by a client (ms), and time zone (minutes). */
  private clockOffset = 0;
  private timeZone = 0;
  private controlState = 1;

  constructor(readonly options: DlmsMeterOptions) {
    this.energy = new MeterEnergy({ ...options });
    this.profile = new ProfileBuffer(this.energy, () => this.now());
    this.objects = this.build();
  }

  now(): number {
    return this.options.clock.now() + this.clockOffset;
  }

  get deviceName(): string {
    return (this.options.deviceName ?? `MGS${this.options.id}`).padEnd(16, '0').slice(0, 16);
  }

  find(classId: number, ln: Uint8Array): CosemObject | undefined {
    return this.objects.find((o) => o.classId === classId && o.ln.every((b, i) => b === ln[i]));
  }

  findLn(ln: Uint8Array): CosemObject | undefined {
    return this.objects.find((o) => o.ln.every((b, i) => b === ln[i]));
  }

  private build(): CosemObject[] {
    const obj = (
      classId: number,
      version: number,
      obis: string,
      attributes: number,
      methods: number,
      get: (a: number, c: Caller, s?: AccessSelection) => DlmsData | Answer,
      extra: Partial<Pick<CosemObject, 'set' | 'action'>> = {},
    ): CosemObject => ({
      classId,
      version,
      obis,
      ln: parseObis(obis),
      attributes,
      methods,
      get: (a, c, s) => {
        if (a === 1) return { data: D.octets(parseObis(obis)) };
        const v = get(a, c, s);
        return 'type' in v ? { data: v } : v;
      },
      ...extra,
    });
    const undef: Answer = { dar: DAR_UNDEFINED };
    const wh = () => Math.round(this.energy.importKwh(this.options.clock.now()) * 1000) >>> 0;
    return [
      obj(
        8,
        0,
        '0.0.1.0.0.255',
        9,
        6,
        (a) => {
          switch (a) {
            case 2:
              return D.octets(encodeDlmsDateTime(this.now()));
            case 3:
              return D.i16(this.timeZone);
            case 4:
              return D.u8(0);
            case 5:
              return D.octets(Uint8Array.from([0xff, 0xff, 3, 0xfe, 7, 2, 0, 0, 0xff, 0x80, 0, 0xff]));
            case 6:
              return D.octets(Uint8Array.from([0xff, 0xff, 10, 0xfe, 7, 3, 0, 0, 0xff, 0x80, 0, 0xff]));
            case 7:
              return D.i8(0);
            case 8:
              return D.bool(false);
            case 9:
              return D.enum(1);
            default:
              return undef;
          }
        },
        {
          set: (a, v, c) => {
            if (c.clientSap !== LLS_CLIENT && c.clientSap !== HLS_CLIENT) return DAR_DENIED;
            if (a === 3) {
              if (v.type !== 'long') return DAR_TYPE_UNMATCHED;
              this.timeZone = v.value;
              return 0;
            }
            if (a === 2) {
              if (v.type !== 'octet-string') return DAR_TYPE_UNMATCHED;
              const t = decodeDlmsDateTime(v.value);
              if (t === undefined) return DAR_TYPE_UNMATCHED;
              this.clockOffset = t - this.options.clock.now();
              return 0;
            }
            return DAR_DENIED;
          },
        },
      ),
      obj(1, 0, '0.0.42.0.0.255', 2, 0, (a) =>
        a === 2 ? D.octets(Buffer.from(this.deviceName, 'latin1')) : undef,
      ),
      obj(1, 0, '0.0.96.1.0.255', 2, 0, (a) =>
        a === 2 ? D.octets(Buffer.from(this.options.id, 'latin1')) : undef,
      ),
      obj(3, 0, '1.0.1.8.0.255', 3, 1, (a) => (a === 2 ? D.u32(wh()) : a === 3 ? su(0, 30) : undef)),
      obj(3, 0, '1.0.2.8.0.255', 3, 1, (a) => (a === 2 ? D.u32(0) : a === 3 ? su(0, 30) : undef)),
      obj(3, 0, '1.0.1.7.0.255', 3, 1, (a) =>
        a === 2 ? D.i32(Math.round(this.energy.powerKw() * 1000)) : a === 3 ? su(0, 27) : undef,
      ),
      obj(3, 0, '1.0.32.7.0.255', 3, 1, (a) =>
        a === 2 ? D.u16(Math.round(this.energy.voltage() * 10)) : a === 3 ? su(-1, 35) : undef,
      ),
      obj(3, 0, '1.0.31.7.0.255', 3, 1, (a) =>
        a === 2 ? D.u16(Math.round(this.energy.current() * 100)) : a === 3 ? su(-2, 33) : undef,
      ),
      // Extended register: the maximum demand of the current month with its capture time.
      obj(4, 0, '1.0.1.6.0.255', 5, 1, (a) => {
        const t = this.now();
        if (a === 2) return D.u32(Math.round(this.energy.powerKw(t) * 1000 * 1.8));
        if (a === 3) return su(0, 27);
        if (a === 4) return D.u8(0);
        if (a === 5)
          return D.octets(encodeDlmsDateTime(Math.floor(t / 86_400_000) * 86_400_000 + 19 * 3_600_000));
        return undef;
      }),
      // Demand register: average power over the current and last 15-minute periods.
      obj(5, 0, '1.0.1.4.0.255', 9, 2, (a) => {
        const t = this.options.clock.now();
        const start = Math.floor(t / 900_000) * 900_000;
        const avg = (a0: number, b0: number) =>
          b0 > a0
            ? Math.round(
                ((this.energy.importKwh(b0) - this.energy.importKwh(a0)) * 3_600_000_000) / (b0 - a0),
              )
            : 0;
        switch (a) {
          case 2:
            return D.u32(avg(start, t));
          case 3:
            return D.u32(avg(start - 900_000, start));
          case 4:
            return su(0, 27);
          case 5:
            return D.u8(0);
          case 6:
            return D.octets(encodeDlmsDateTime(start + this.clockOffset));
          case 7:
            return D.octets(encodeDlmsDateTime(start + this.clockOffset));
          case 8:
            return D.u32(900);
          case 9:
            return D.u16(1);
          default:
            return undef;
        }
      }),
      obj(1, 0, '0.0.96.10.1.255', 2, 0, (a) => (a === 2 ? D.u8(this.energy.connected ? 0 : 0x04) : undef)),
      obj(7, 1, '1.0.99.1.0.255', 8, 2, (a, _c, s) => {
        switch (a) {
          case 2: {
            const raw = this.profile.encode(s);
            return raw ? { raw } : { dar: DAR_SCOPE };
          }
          case 3:
            return captureObjectsData();
          case 4:
            return D.u32(900);
          case 5:
            return D.enum(1);
          case 6:
            return D.struct(D.u16(8), D.octets(parseObis('0.0.1.0.0.255')), D.i8(2), D.u16(0));
          case 7:
            return D.u32(this.profile.entriesInUse());
          case 8:
            return D.u32(35_040);
          default:
            return undef;
        }
      }),
      obj(
        70,
        0,
        '0.0.96.3.10.255',
        4,
        2,
        (a) => {
          if (a === 2) return D.bool(this.energy.connected);
          if (a === 3) return D.enum(this.controlState);
          if (a === 4) return D.enum(1);
          return undef;
        },
        {
          action: (m, _p, c) => {
            if (c.clientSap !== HLS_CLIENT) return { result: DAR_DENIED };
            if (m === 1) {
              this.energy.disconnect(this.options.clock.now());
              this.controlState = 0;
            } else if (m === 2) {
              // remote_reconnect takes the output straight back to connected, as the recorded meter does.
              this.energy.reconnect(this.options.clock.now());
              this.controlState = 1;
            } else return { result: DAR_UNDEFINED };
            return { result: 0 };
          },
        },
      ),
      obj(15, 1, '0.0.40.0.0.255', 8, 4, (a, c) => c.association(a)),
      obj(1, 0, '0.0.43.1.0.255', 2, 0, (a) => (a === 2 ? D.u32(this.expectedInvocationCounter) : undef)),
      obj(64, 0, '0.0.43.0.0.255', 5, 2, (a) => {
        if (a === 2) return D.enum(3); // authenticated and encrypted
        if (a === 3) return D.enum(0); // security suite 0
        if (a === 4) return D.octets(new Uint8Array(8));
        if (a === 5) return D.octets(serverTitle(this.options.id));
        return undef;
      }),
    ];
  }

  /** The association object list (class 15 attribute 2), with this client's access rights. */
  objectList(clientSap: number): DlmsData {
    return D.array(
      this.objects.map((o) =>
        D.struct(
          D.u16(o.classId),
          D.u8(o.version),
          D.octets(o.ln),
          D.struct(
            D.array(
              Array.from({ length: o.attributes }, (_, i) =>
                D.struct(
                  D.i8(i + 1),
                  D.enum(o.set && clientSap !== 16 && i + 1 <= 3 ? 3 : 1),
                  o.classId === 7 && i + 1 === 2 ? D.array([D.i8(1), D.i8(2)]) : D.null(),
                ),
              ),
            ),
            D.array(
              Array.from({ length: o.methods }, (_, i) =>
                D.struct(D.i8(i + 1), D.enum(o.action && clientSap === HLS_CLIENT ? 1 : 0)),
              ),
            ),
          ),
        ),
      ),
    );
  }
}

/** The meter's system title: "MGS" + 5 bytes of its id's hash (Green Book §4.3.4: manufacturer + serial). */
export function serverTitle(id: string): Uint8Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return Uint8Array.from([
    0x4d,
    0x47,
    0x53,
    (h >>> 24) & 0xff,
    (h >>> 16) & 0xff,
    (h >>> 8) & 0xff,
    h & 0xff,
    id.length & 0xff,
  ]);
}

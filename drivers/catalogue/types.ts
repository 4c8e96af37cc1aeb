/**
 * The declarative register map (Telegraf modbus input / ThingsBoard connector style, see METERS.md):
 * one entry per meter model serves both the driver (what to poll) and the simulator (what to serve).
 */

/** Modbus function codes for reads (Modbus application protocol v1.1b3 §6.3 and §6.4). */
export type ReadFunction = 3 | 4;

export type RegisterType = 'float32' | 'int32' | 'uint32' | 'int16' | 'uint16' | 'uint64';

/**
 * Order of the 16-bit words of a multi-register value. Bytes inside a word are always big-endian
 * (Modbus application protocol §4.2); only the word order varies between vendors.
 * `big` = most significant word first (Eastron, ABB, Janitza); `little` = least significant first (EM24).
 */
export type WordOrder = 'big' | 'little';

export interface RegisterPoint {
  /** OBIS code from the protocol registry; the registry fixes its unit. */
  readonly obis: string;
  readonly function: ReadFunction;
  /** 0-based PDU address of the first register. */
  readonly address: number;
  readonly type: RegisterType;
  /** Absent on 16-bit types; otherwise resolved from the model defaults. */
  readonly wordOrder?: WordOrder;
  /** Multiply the raw register value by this to get the value in the OBIS unit. */
  readonly scale: number;
  /** The OBIS unit (checked against the protocol registry at load time). */
  readonly unit: string;
  /**
   * `max`: the type's largest raw value (all ones for unsigned types, 0x7FFF… for signed ones) means
   * "not available" (ABB B23 manual, "Invalid values"). float32 NaN always decodes to null.
   */
  readonly notAvailable?: 'max';
}

export interface ModelDefaults {
  readonly function: ReadFunction;
  readonly wordOrder: WordOrder;
  /** Type used by points that do not name one. */
  readonly type?: RegisterType;
}

export interface MeterModel {
  /** Catalogue key, lower-case (`sdm630`). */
  readonly model: string;
  readonly vendor: string;
  readonly description: string;
  readonly phases: 1 | 3;
  readonly defaults: ModelDefaults;
  readonly points: readonly RegisterPoint[];
}

/** One Modbus read request of a plan and the points it carries. */
export interface PlannedRead {
  readonly function: ReadFunction;
  readonly address: number;
  /** Number of registers, 1..125. */
  readonly count: number;
  readonly points: readonly RegisterPoint[];
}

/** The reads of one poll, in ascending (function, address) order. */
export type RegisterPlan = readonly PlannedRead[];

/** A contiguous address range a (simulated) meter answers, unmapped registers inside read as 0. */
export interface AddressBlock {
  readonly function: ReadFunction;
  readonly address: number;
  readonly count: number;
}

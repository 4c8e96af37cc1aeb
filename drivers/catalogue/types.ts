/**
 * The declarative register map (Telegraf modbus input / ThingsBoard connector style, see METERS.md):
 * one model file per meter model serves both the driver (what to poll) and the simulator (what to
 * serve). Models are data (`models/*.yaml`, schema in `model.schema.json`); these are the resolved
 * shapes the code works with.
 */

/**
 * Modbus data model (Modbus application protocol v1.1b3 §4.3): 1 coils, 2 discrete inputs, 3 holding
 * registers, 4 input registers; read by the function code of the same number (§6.1–§6.4).
 */
export type ReadFunction = 1 | 2 | 3 | 4;

export type RegisterType =
  'bit' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64' | 'string';

/**
 * Order of the bytes of a multi-register value, A being the most significant byte: ABCD = big-endian
 * (high word first, Eastron, ABB, Janitza), CDAB = low word first (Carlo Gavazzi EM24), BADC = bytes
 * swapped in each word, DCBA = little-endian. For 64-bit values the pattern extends word by word
 * (CDAB reverses the word order, BADC swaps bytes inside each word).
 */
export type ByteOrder = 'ABCD' | 'DCBA' | 'BADC' | 'CDAB';
export const BYTE_ORDERS: readonly ByteOrder[] = ['ABCD', 'DCBA', 'BADC', 'CDAB'];

/** Legacy two-value word order of the programmatic API: big = ABCD, little = CDAB. */
export type WordOrder = 'big' | 'little';

export interface RegisterPoint {
  /** What the value is known as: its OBIS code, or the free name of a non-OBIS field. */
  readonly key: string;
  /** OBIS code from the protocol registry (its unit is the registry's); absent for named fields. */
  readonly obis?: string;
  readonly name?: string;
  readonly function: ReadFunction;
  /** 0-based PDU address of the first register (or coil / discrete input). */
  readonly address: number;
  readonly type: RegisterType;
  /** Registers the field occupies (1 for bit, coils and bit fields; N for a string). */
  readonly registers: number;
  /** Multi-register types only. */
  readonly byteOrder?: ByteOrder;
  /** Bit field inside one 16-bit register: lowest bit and width. */
  readonly bit?: number;
  readonly bits?: number;
  /** value = raw × scale + offset, in the OBIS unit (or `unit`). */
  readonly scale: number;
  readonly offset?: number;
  readonly unit: string;
  /** Seconds between reads of this field when it should be read less often than the meter. */
  readonly interval?: number;
  /** Coils (FC 5/15) and holding registers (FC 6/16) may be written by a `cmd/set`. */
  readonly writable?: boolean;
  /**
   * `max`: the type's largest raw value (all ones for unsigned types, 0x7FFF… for signed ones) means
   * "not available" (ABB B23 manual, "Invalid values"). Float NaN always decodes to null.
   */
  readonly notAvailable?: 'max';
  /** Legacy alias kept for the programmatic API: 'little' when byteOrder is CDAB. */
  readonly wordOrder?: WordOrder;
}

export interface ModelDefaults {
  readonly function: ReadFunction;
  readonly byteOrder?: ByteOrder;
  readonly wordOrder?: WordOrder;
  /** Type used by points that do not name one. */
  readonly type?: RegisterType;
}

export interface MeterModel {
  /** Catalogue key, lower-case (`sdm630`). */
  readonly model: string;
  readonly vendor: string;
  readonly description: string;
  /** The vendor document the register map comes from. */
  readonly source?: string;
  readonly phases: 1 | 3;
  readonly defaults: ModelDefaults;
  readonly points: readonly RegisterPoint[];
  /** Where the model was loaded from (built-in catalogue or a user directory). */
  readonly file?: string;
  readonly builtin?: boolean;
}

/** One Modbus read request of a plan and the points it carries. */
export interface PlannedRead {
  readonly function: ReadFunction;
  readonly address: number;
  /** Registers (FC 3/4, 1..125) or bits (FC 1/2, 1..2000). */
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

import { DriverError } from '../errors.js';
import {
  dataBytes,
  decodeReadResponsePdu,
  encodeReadPdu,
  EXCEPTION_FLAG,
  EXCEPTION_NAMES,
  type ReadRequest,
  type ReadResult,
} from './pdu.js';

/**
 * One request/answer pair at the PDU level, whatever the function: what to send, how long the normal
 * answer PDU is (RTU frames carry no length, so the framer needs it) and how to check the answer
 * against the request. Reads and writes (Modbus application protocol V1.1b3 §6) share the transports
 * through this.
 */
export interface Exchange {
  readonly unitId: number;
  readonly function: number;
  readonly pdu: Buffer;
  readonly answerPduLength: number;
  decode(pdu: Uint8Array): ReadResult;
}

export function readExchange(req: ReadRequest): Exchange {
  return {
    unitId: req.unitId,
    function: req.function,
    pdu: encodeReadPdu(req),
    answerPduLength: 2 + dataBytes(req),
    decode: (pdu) => decodeReadResponsePdu(req, pdu),
  };
}

/** Writes for commands: §6.5 FC 5, §6.6 FC 6, §6.11 FC 15, §6.12 FC 16, §6.17 FC 23 (read/write). */
export type WriteRequest =
  | { readonly unitId: number; readonly function: 5; readonly address: number; readonly value: boolean }
  | { readonly unitId: number; readonly function: 6; readonly address: number; readonly value: number }
  | {
      readonly unitId: number;
      readonly function: 15;
      readonly address: number;
      readonly values: readonly boolean[];
    }
  | {
      readonly unitId: number;
      readonly function: 16;
      readonly address: number;
      readonly values: readonly number[];
    }
  | {
      readonly unitId: number;
      readonly function: 23;
      readonly readAddress: number;
      readonly readCount: number;
      readonly address: number;
      readonly values: readonly number[];
    };

const bad = (what: string): never => {
  throw new DriverError('MG_ERR_DRIVER_REQUEST', what);
};
const addr = (a: number, n = 1) => {
  if (!Number.isInteger(a) || a < 0 || a + n > 0x10000) bad(`address ${a} (+${n}) outside 0..65535`);
};
const word = (w: number) => {
  if (!Number.isInteger(w) || w < 0 || w > 0xffff) bad(`register value ${w} outside 0..65535`);
};

function exceptionOr(fn: number, pdu: Uint8Array): ReadResult | null {
  if (pdu.length >= 2 && pdu[0] === (fn | EXCEPTION_FLAG)) {
    const code = pdu[1]!;
    return {
      ok: false,
      kind: 'exception',
      exception: code,
      reason: `exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})`,
    };
  }
  if (pdu[0] !== fn)
    return {
      ok: false,
      kind: 'malformed',
      reason: `function 0x${(pdu[0] ?? 0).toString(16)} answers 0x${fn.toString(16)}`,
    };
  return null;
}

/** FC 5/6/15/16 answer with the request's first 5 PDU bytes (§6.5–§6.12): anything else is not ours. */
function echoDecode(fn: number, expect: Buffer) {
  return (pdu: Uint8Array): ReadResult => {
    const e = exceptionOr(fn, pdu);
    if (e) return e;
    if (pdu.length !== 5 || Buffer.compare(Buffer.from(pdu), expect) !== 0)
      return {
        ok: false,
        kind: 'malformed',
        reason: `write answer ${Buffer.from(pdu).toString('hex')} does not echo ${expect.toString('hex')}`,
      };
    return { ok: true, registers: new Uint16Array(0) };
  };
}

export function writeExchange(req: WriteRequest): Exchange {
  if (!Number.isInteger(req.unitId) || req.unitId < 0 || req.unitId > 255) bad(`unitId ${req.unitId}`);
  let pdu: Buffer;
  switch (req.function) {
    case 5:
      addr(req.address);
      pdu = Buffer.from([5, req.address >> 8, req.address & 0xff, req.value ? 0xff : 0, 0]);
      break;
    case 6:
      addr(req.address);
      word(req.value);
      pdu = Buffer.from([6, req.address >> 8, req.address & 0xff, req.value >> 8, req.value & 0xff]);
      break;
    case 15: {
      const n = req.values.length;
      if (n < 1 || n > 0x7b0) bad(`coil count ${n} (1..1968)`);
      addr(req.address, n);
      const bytes = Math.ceil(n / 8);
      pdu = Buffer.alloc(6 + bytes);
      pdu[0] = 15;
      pdu.writeUInt16BE(req.address, 1);
      pdu.writeUInt16BE(n, 3);
      pdu[5] = bytes;
      req.values.forEach((v, i) => {
        if (v) pdu[6 + (i >> 3)]! |= 1 << (i & 7);
      });
      break;
    }
    case 16: {
      const n = req.values.length;
      if (n < 1 || n > 123) bad(`register count ${n} (1..123)`);
      addr(req.address, n);
      req.values.forEach(word);
      pdu = Buffer.alloc(6 + 2 * n);
      pdu[0] = 16;
      pdu.writeUInt16BE(req.address, 1);
      pdu.writeUInt16BE(n, 3);
      pdu[5] = 2 * n;
      req.values.forEach((v, i) => pdu.writeUInt16BE(v, 6 + 2 * i));
      break;
    }
    case 23: {
      const n = req.values.length;
      if (n < 1 || n > 121) bad(`write count ${n} (1..121)`);
      if (req.readCount < 1 || req.readCount > 125) bad(`read count ${req.readCount} (1..125)`);
      addr(req.readAddress, req.readCount);
      addr(req.address, n);
      req.values.forEach(word);
      pdu = Buffer.alloc(10 + 2 * n);
      pdu[0] = 23;
      pdu.writeUInt16BE(req.readAddress, 1);
      pdu.writeUInt16BE(req.readCount, 3);
      pdu.writeUInt16BE(req.address, 5);
      pdu.writeUInt16BE(n, 7);
      pdu[9] = 2 * n;
      req.values.forEach((v, i) => pdu.writeUInt16BE(v, 10 + 2 * i));
      // §6.17: the answer is a read answer of readCount registers.
      const asRead: ReadRequest = {
        unitId: req.unitId,
        function: 3,
        address: req.readAddress,
        count: req.readCount,
      };
      return {
        unitId: req.unitId,
        function: 23,
        pdu,
        answerPduLength: 2 + 2 * req.readCount,
        decode: (answer) =>
          exceptionOr(23, answer) ?? decodeReadResponsePdu(asRead, Buffer.from([3, ...answer.subarray(1)])),
      };
    }
    default:
      return bad(`function ${String((req as { function: unknown }).function)}`);
  }
  return {
    unitId: req.unitId,
    function: req.function,
    pdu,
    answerPduLength: 5,
    decode: echoDecode(req.function, pdu.subarray(0, 5)),
  };
}

import type { FaultDecision } from '../model/faults.js';
import { ModbusException, type SimulatedMeter } from '../model/simulated-meter.js';

/**
 * The transport-independent part of a Modbus server: request PDU in, response PDU out (Modbus
 * application protocol v1.1b3 §4.1: PDU = function code + data). Shared by the TCP and RTU servers.
 */
export const FC_READ_HOLDING = 0x03;
export const FC_READ_INPUT = 0x04;
/** §6.17 Read/Write Multiple registers: the write is performed before the read. */
export const FC_READ_WRITE = 0x17;
const MAX_RW_READ = 125;
const MAX_RW_WRITE = 121;
const EXCEPTION_FLAG = 0x80;

export function exceptionPdu(fn: number, code: number): Buffer {
  return Buffer.from([(fn | EXCEPTION_FLAG) & 0xff, code]);
}

/** Answer one request PDU for one meter, with the fault decision's busy flag applied. */
export function answerPdu(meter: SimulatedMeter, pdu: Buffer, fault: Pick<FaultDecision, 'busy'>): Buffer {
  const fn = pdu[0] ?? 0;
  if (![1, 2, 3, 4, 5, 6, 15, 16, FC_READ_WRITE].includes(fn))
    return exceptionPdu(fn, ModbusException.ILLEGAL_FUNCTION);
  if (pdu.length !== (requestPduLength(pdu) ?? -1))
    return exceptionPdu(fn, ModbusException.ILLEGAL_DATA_VALUE);
  if (fault.busy) return exceptionPdu(fn, ModbusException.SERVER_DEVICE_BUSY);
  const address = pdu.readUInt16BE(1);
  if (fn === FC_READ_WRITE) return answerReadWrite(meter, pdu);
  if (fn >= 5) return answerWrite(meter, fn, address, pdu);
  const quantity = pdu.readUInt16BE(3);
  const read = meter.readRegisters(fn, address, quantity);
  if (!read.ok) return exceptionPdu(fn, read.exception);
  return readAnswer(fn, quantity, read.registers);
}

function readAnswer(fn: number, quantity: number, registers: readonly number[]): Buffer {
  if (fn <= 2) {
    // §6.1: bits packed eight to a byte, least significant bit first.
    const out = Buffer.alloc(2 + Math.ceil(quantity / 8));
    out[0] = fn;
    out[1] = out.length - 2;
    registers.forEach((b, i) => {
      if (b) out[2 + (i >> 3)]! |= 1 << (i & 7);
    });
    return out;
  }
  const out = Buffer.alloc(2 + 2 * registers.length);
  out[0] = fn;
  out[1] = 2 * registers.length;
  registers.forEach((w, i) => out.writeUInt16BE(w, 2 + 2 * i));
  return out;
}

/**
 * §6.17 FC 23: read address, read quantity (1–125), write address, write quantity (1–121), byte
 * count (2 × write quantity), values; the holding registers are written first, then read.
 */
function answerReadWrite(meter: SimulatedMeter, pdu: Buffer): Buffer {
  const [readAddress, readQty, writeAddress, writeQty] = [1, 3, 5, 7].map((o) => pdu.readUInt16BE(o)) as [
    number,
    number,
    number,
    number,
  ];
  if (
    readQty < 1 ||
    readQty > MAX_RW_READ ||
    writeQty < 1 ||
    writeQty > MAX_RW_WRITE ||
    pdu[9] !== 2 * writeQty
  )
    return exceptionPdu(FC_READ_WRITE, ModbusException.ILLEGAL_DATA_VALUE);
  const words = Array.from({ length: writeQty }, (_, i) => pdu.readUInt16BE(10 + 2 * i));
  const w = meter.writeRegisters(3, writeAddress, words);
  if (!w.ok) return exceptionPdu(FC_READ_WRITE, w.exception);
  const read = meter.readRegisters(3, readAddress, readQty);
  if (!read.ok) return exceptionPdu(FC_READ_WRITE, read.exception);
  return readAnswer(FC_READ_WRITE, readQty, read.registers);
}

/** §6.5 FC 5, §6.6 FC 6, §6.11 FC 15, §6.12 FC 16: write, then echo address and value/quantity. */
function answerWrite(meter: SimulatedMeter, fn: number, address: number, pdu: Buffer): Buffer {
  let table: 1 | 3;
  let words: number[];
  if (fn === 5) {
    const v = pdu.readUInt16BE(3);
    if (v !== 0xff00 && v !== 0) return exceptionPdu(fn, ModbusException.ILLEGAL_DATA_VALUE);
    [table, words] = [1, [v ? 1 : 0]];
  } else if (fn === 6) [table, words] = [3, [pdu.readUInt16BE(3)]];
  else {
    const n = pdu.readUInt16BE(3);
    const bytes = pdu[5]!;
    if (fn === 15 ? bytes !== Math.ceil(n / 8) || n < 1 : bytes !== 2 * n || n < 1 || n > 123)
      return exceptionPdu(fn, ModbusException.ILLEGAL_DATA_VALUE);
    table = fn === 15 ? 1 : 3;
    words = Array.from({ length: n }, (_, i) =>
      fn === 15 ? (pdu[6 + (i >> 3)]! >> (i & 7)) & 1 : pdu.readUInt16BE(6 + 2 * i),
    );
  }
  const r = meter.writeRegisters(table, address, words);
  if (!r.ok) return exceptionPdu(fn, r.exception);
  return Buffer.from(pdu.subarray(0, 5));
}

/** Length of a request ADU body for the RTU framer, by function code; undefined if unknown. */
export function requestPduLength(pdu: Buffer): number | undefined {
  const fn = pdu[0];
  if (fn === undefined) return undefined;
  // §6.1–6.6: fixed 5-byte requests; §6.11/6.12: byte count at offset 5.
  if (fn >= 1 && fn <= 6) return 5;
  if ((fn === 0x0f || fn === 0x10) && pdu.length >= 6) return 6 + (pdu[5] ?? 0);
  // §6.17: byte count at offset 9.
  if (fn === FC_READ_WRITE && pdu.length >= 10) return 10 + (pdu[9] ?? 0);
  return undefined;
}

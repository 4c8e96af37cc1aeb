import type { FaultDecision } from '../model/faults.js';
import { ModbusException, type SimulatedMeter } from '../model/simulated-meter.js';

/**
 * The transport-independent part of a Modbus server: request PDU in, response PDU out (Modbus
 * application protocol v1.1b3 §4.1: PDU = function code + data). Shared by the TCP and RTU servers.
 */
export const FC_READ_HOLDING = 0x03;
export const FC_READ_INPUT = 0x04;
const EXCEPTION_FLAG = 0x80;
/** A read request is the function code and four bytes: start address and quantity (§6.3, §6.4). */
const READ_REQUEST_LENGTH = 5;

export function exceptionPdu(fn: number, code: number): Buffer {
  return Buffer.from([(fn | EXCEPTION_FLAG) & 0xff, code]);
}

/** Answer one request PDU for one meter, with the fault decision's busy flag applied. */
export function answerPdu(meter: SimulatedMeter, pdu: Buffer, fault: Pick<FaultDecision, 'busy'>): Buffer {
  const fn = pdu[0] ?? 0;
  if (fn !== FC_READ_HOLDING && fn !== FC_READ_INPUT)
    return exceptionPdu(fn, ModbusException.ILLEGAL_FUNCTION);
  if (pdu.length !== READ_REQUEST_LENGTH) return exceptionPdu(fn, ModbusException.ILLEGAL_DATA_VALUE);
  if (fault.busy) return exceptionPdu(fn, ModbusException.SERVER_DEVICE_BUSY);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const read = meter.readRegisters(fn, address, quantity);
  if (!read.ok) return exceptionPdu(fn, read.exception);
  const out = Buffer.alloc(2 + 2 * read.registers.length);
  out[0] = fn;
  out[1] = 2 * read.registers.length;
  read.registers.forEach((w, i) => out.writeUInt16BE(w, 2 + 2 * i));
  return out;
}

/** Length of a request ADU body for the RTU framer, by function code; undefined if unknown. */
export function requestPduLength(pdu: Buffer): number | undefined {
  const fn = pdu[0];
  if (fn === undefined) return undefined;
  // §6.1–6.6: fixed 5-byte requests; §6.11/6.12: byte count at offset 5.
  if (fn >= 1 && fn <= 6) return 5;
  if ((fn === 0x0f || fn === 0x10) && pdu.length >= 6) return 6 + (pdu[5] ?? 0);
  return undefined;
}

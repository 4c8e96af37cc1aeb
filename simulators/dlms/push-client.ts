import net from 'node:net';
import {
  DlmsValue as D,
  dlmsProtect,
  encodeDlmsDateTime,
  encodeGeneralCiphering,
  encodeWrapper,
  encodeXdlms,
  type CipherKeys,
} from '../../drivers/index.js';
import { serverTitle, type DlmsMeter } from './dlms-meter.js';

/**
 * A simulated meter pushing a DataNotification (Green Book §9.3.10) over the TCP wrapper, as a push
 * setup (class 40) would: logical device name, active energy import (Wh), active power (W), voltage
 * (0.1 V) — the push object list PUSH_OBJECTS describes the body for the listener.
 */
export const PUSH_OBJECTS = [
  { ref: '1:0.0.42.0.0.255:2' },
  { ref: '3:1.0.1.8.0.255:2', scaler: 0, unit: 30 },
  { ref: '3:1.0.1.7.0.255:2', scaler: 0, unit: 27 },
  { ref: '3:1.0.32.7.0.255:2', scaler: -1, unit: 35 },
];

export function pushNotification(
  meter: DlmsMeter,
  longInvokeId: number,
  keys?: CipherKeys,
  ic = 0,
): Uint8Array {
  const t = meter.options.clock.now();
  const body = D.struct(
    D.octets(Buffer.from(meter.deviceName, 'latin1')),
    D.u32(Math.round(meter.energy.importKwh(t) * 1000) >>> 0),
    D.i32(Math.round(meter.energy.powerKw(t) * 1000)),
    D.u16(Math.round(meter.energy.voltage(t) * 10)),
  );
  const apdu = encodeXdlms({
    kind: 'data-notification',
    longInvokeId,
    dateTime: encodeDlmsDateTime(t),
    body,
  });
  if (!keys) return apdu;
  const title = serverTitle(meter.options.id);
  return encodeGeneralCiphering(title, dlmsProtect(apdu, 0x30, title, ic, keys));
}

/** Connect to a push destination, send one notification from wPort `source`, close. */
export async function pushOnce(host: string, port: number, source: number, apdu: Uint8Array): Promise<void> {
  const socket = net.connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  await new Promise<void>((resolve) => socket.end(encodeWrapper(source, 102, apdu), () => resolve()));
}

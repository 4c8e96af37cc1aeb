import net from 'node:net';
import {
  DLMS_EVENT_POWER_DOWN,
  DLMS_EVENT_POWER_UP,
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
 * (0.1 V) — the push object list PUSH_OBJECTS describes the body for the listener. An event push
 * (`eventNotification`) adds the fifth element, the standard event code (0-0:96.11.0.255).
 */
export const PUSH_OBJECTS = [
  { ref: '1:0.0.42.0.0.255:2' },
  { ref: '3:1.0.1.8.0.255:2', scaler: 0, unit: 30 },
  { ref: '3:1.0.1.7.0.255:2', scaler: 0, unit: 27 },
  { ref: '3:1.0.32.7.0.255:2', scaler: -1, unit: 35 },
  { ref: '1:0.0.96.11.0.255:2' },
];

export function pushNotification(
  meter: DlmsMeter,
  longInvokeId: number,
  keys?: CipherKeys,
  ic = 0,
): Uint8Array {
  return notification(meter, longInvokeId, undefined, keys, ic);
}

/**
 * The push of a power event: code 1 "power down" (the last gasp, sent on the meter's stored energy,
 * power and voltage already 0) or 2 "power up", the DLMS UA standard event log's codes.
 */
export function eventNotification(
  meter: DlmsMeter,
  longInvokeId: number,
  event: 'power-down' | 'power-up',
  keys?: CipherKeys,
  ic = 0,
): Uint8Array {
  return notification(meter, longInvokeId, event, keys, ic);
}

function notification(
  meter: DlmsMeter,
  longInvokeId: number,
  event: 'power-down' | 'power-up' | undefined,
  keys: CipherKeys | undefined,
  ic: number,
): Uint8Array {
  const t = meter.options.clock.now();
  const dark = event === 'power-down';
  const values = [
    D.octets(Buffer.from(meter.deviceName, 'latin1')),
    D.u32(Math.round(meter.energy.importKwh(t) * 1000) >>> 0),
    D.i32(dark ? 0 : Math.round(meter.energy.powerKw(t) * 1000)),
    D.u16(dark ? 0 : Math.round(meter.energy.voltage(t) * 10)),
  ];
  if (event) values.push(D.u8(event === 'power-down' ? DLMS_EVENT_POWER_DOWN : DLMS_EVENT_POWER_UP));
  const body = D.struct(...values);
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

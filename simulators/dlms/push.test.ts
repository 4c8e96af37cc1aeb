import { afterEach, describe, expect, it } from 'vitest';
import {
  DlmsPushListener,
  dlmsFromHex,
  pushPowerEvent,
  pushValues,
  type PushEvent,
} from '../../drivers/index.js';
import { SimClock } from '../model/clock.js';
import {
  DEFAULT_DLMS_KEYS,
  DlmsSimulator,
  eventNotification,
  pushNotification,
  pushOnce,
  PUSH_OBJECTS,
  serverTitle,
} from './index.js';

/** DataNotification pushed by a simulated meter, received by the DLMS push listener, plain and ciphered. */
const keys = { ek: dlmsFromHex(DEFAULT_DLMS_KEYS.ek), ak: dlmsFromHex(DEFAULT_DLMS_KEYS.ak) };
let listener: DlmsPushListener | undefined;
afterEach(async () => {
  await listener?.stop();
});

describe('DLMS push', () => {
  it('receives plain and glo-ciphered DataNotifications and maps them to readings', async () => {
    const clock = new SimClock({ start: Date.parse('2026-04-01T06:00:00Z'), acceleration: 0 });
    const sim = new DlmsSimulator({ meters: 1, clock });
    const meter = sim.meters[0]!;
    const events: PushEvent[] = [];
    const errors: string[] = [];
    listener = new DlmsPushListener({
      host: '127.0.0.1',
      port: 0,
      keysFor: (t) => (t === Buffer.from(serverTitle(meter.options.id)).toString('hex') ? keys : undefined),
      onEvent: (e) => events.push(e),
      onError: (e) => errors.push(e.code),
    });
    await listener.start();
    await pushOnce('127.0.0.1', listener.port, 1, pushNotification(meter, 7));
    await pushOnce('127.0.0.1', listener.port, 1, pushNotification(meter, 8, keys, 5));
    await pushOnce(
      '127.0.0.1',
      listener.port,
      1,
      pushNotification(meter, 9, { ...keys, ek: new Uint8Array(16) }, 6),
    );
    const end = Date.now() + 5000;
    while (events.length + errors.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(events.map((e) => e.longInvokeId)).toEqual([7, 8]);
    expect(errors).toEqual(['MG_ERR_DLMS_CIPHER']);
    expect(events[0]!.time).toBe(Date.parse('2026-04-01T06:00:00Z'));
    const v = pushValues(events[1]!.body, PUSH_OBJECTS);
    expect(v['1-0:1.8.0']).toBeCloseTo(Math.round(meter.energy.importKwh() * 1000) / 1000, 6);
    expect(v['1-0:32.7.0']).toBeGreaterThan(200);
    expect(v['1-0:1.7.0']).toBeGreaterThanOrEqual(0);
  });

  it('pushes the last gasp (event 1) when the supply is cut and power-up (event 2) when it returns', async () => {
    const clock = new SimClock({ start: Date.parse('2026-04-01T21:00:00Z'), acceleration: 0 });
    const events: PushEvent[] = [];
    listener = new DlmsPushListener({ host: '127.0.0.1', port: 0, onEvent: (e) => events.push(e) });
    await listener.start();
    const sim = new DlmsSimulator({ meters: 2, clock, push: { host: '127.0.0.1', port: listener.port } });
    await sim.setPower('dlms-002', false);
    expect(sim.meters[1]!.powered).toBe(false);
    clock.fastForward(90_000);
    await sim.setPower('dlms-002', true);
    // Unchanged supply: nothing pushed.
    await sim.setPower('dlms-001', true);
    const end = Date.now() + 5000;
    while (events.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(events.map((e) => [e.sourceWPort, pushPowerEvent(e.body, PUSH_OBJECTS), e.time])).toEqual([
      [2, 'power.failure', Date.parse('2026-04-01T21:00:00Z')],
      [2, 'power.restored', Date.parse('2026-04-01T21:01:30Z')],
    ]);
    // The last gasp's values: the index as it stands, no power, no voltage.
    const gasp = pushValues(events[0]!.body, PUSH_OBJECTS);
    expect(gasp['1-0:1.7.0']).toBe(0);
    expect(gasp['1-0:32.7.0']).toBe(0);
    expect(gasp['1-0:1.8.0']).toBeGreaterThan(0);
    // A data push carries no event; an event push of another code is none of these.
    expect(pushPowerEvent(pushValuesBody(sim), PUSH_OBJECTS)).toBeUndefined();
    expect(pushPowerEvent(eventBody(sim, 'power-up'), [])).toBeUndefined();
  });
});

function decodedBody(apdu: Uint8Array) {
  const bodies: PushEvent[] = [];
  new DlmsPushListener({ onEvent: (e) => bodies.push(e) }).handle(1, 102, apdu);
  return bodies[0]!.body;
}
const pushValuesBody = (sim: DlmsSimulator) => decodedBody(pushNotification(sim.meters[0]!, 1));
const eventBody = (sim: DlmsSimulator, e: 'power-up' | 'power-down') =>
  decodedBody(eventNotification(sim.meters[0]!, 1, e));

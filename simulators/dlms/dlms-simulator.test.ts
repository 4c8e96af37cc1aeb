import { afterEach, describe, expect, it } from 'vitest';
import {
  byEntry,
  byRange,
  connectTcp,
  DlmsClient,
  dlmsFromHex,
  HdlcTransport,
  parseObis,
  rowTime,
  WrapperTransport,
  type DlmsAuth,
  type DlmsData,
} from '../../drivers/index.js';
import { SimClock } from '../model/clock.js';
import { DEFAULT_DLMS_KEYS, DlmsSimulator } from './index.js';

/** Our client against the simulator in-process (the CLI path is in cli-dlms.int.test.ts). */
const START = Date.parse('2026-06-01T12:07:00Z');
let sim: DlmsSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const keys = { ek: dlmsFromHex(DEFAULT_DLMS_KEYS.ek), ak: dlmsFromHex(DEFAULT_DLMS_KEYS.ak) };
const SAP: Record<DlmsAuth, number> = { none: 16, low: 17, 'high-gmac': 1 };

async function connect(transport: 'wrapper' | 'hdlc', auth: DlmsAuth, meter = 1, invocationCounter = 0) {
  const link = await connectTcp('127.0.0.1', sim!.port);
  const t =
    transport === 'wrapper'
      ? new WrapperTransport(link, SAP[auth], meter, { timeoutMs: 3000 })
      : new HdlcTransport(link, { clientSap: SAP[auth], server: { upper: meter, size: 1 }, timeoutMs: 3000 });
  const client = new DlmsClient(t, {
    auth,
    password: Buffer.from('metergate'),
    keys,
    invocationCounter,
  });
  await t.open();
  await client.associate();
  return { client, t };
}

const attr = (classId: number, obis: string, attribute: number) => ({
  classId,
  ln: parseObis(obis),
  attribute,
});
const items = (d: DlmsData): readonly DlmsData[] => ('value' in d && Array.isArray(d.value) ? d.value : []);
const num = (d: DlmsData) => ('value' in d && typeof d.value === 'number' ? d.value : NaN);

describe('DLMS simulator with our client', () => {
  for (const transport of ['wrapper', 'hdlc'] as const)
    for (const auth of ['none', 'low', 'high-gmac'] as const)
      it(`${transport} / ${auth}: clock, energy with scaler-unit, logical device name, meter 2 of 2`, async () => {
        const clock = new SimClock({ start: START, acceleration: 0 });
        sim = new DlmsSimulator({ meters: 2, transport, clock });
        await sim.start();
        const { client, t } = await connect(transport, auth, 2);
        const time = await client.get(attr(8, '0.0.1.0.0.255', 2));
        expect(time.data.type).toBe('octet-string');
        const e = await client.get(attr(3, '1.0.1.8.0.255', 2));
        const su = await client.get(attr(3, '1.0.1.8.0.255', 3));
        expect(su.data).toEqual({
          type: 'structure',
          value: [
            { type: 'integer', value: 0 },
            { type: 'enum', value: 30 },
          ],
        });
        expect(num(e.data)).toBe(Math.round(sim.meters[1]!.energy.importKwh(START) * 1000));
        const ldn = await client.get(attr(1, '0.0.42.0.0.255', 2));
        expect(Buffer.from((ldn.data as { value: Uint8Array }).value).toString()).toMatch(/^MGSdlms-002/);
        expect(await client.release()).toBe('release-response');
        await t.close();
      });

  it('reads the object list and a day of load profile by range and by entry (datablocks)', async () => {
    const clock = new SimClock({ start: START, acceleration: 0 });
    sim = new DlmsSimulator({ meters: 1, transport: 'wrapper', clock });
    await sim.start();
    const { client, t } = await connect('wrapper', 'low');
    const list = await client.get(attr(15, '0.0.40.0.0.255', 2));
    expect(list.data.type).toBe('array');
    const lns = items(list.data).map((o) =>
      Array.from((items(o)[2] as { value: Uint8Array }).value).join('.'),
    );
    expect(lns).toEqual(expect.arrayContaining(['1.0.99.1.0.255', '0.0.96.3.10.255', '0.0.43.1.0.255']));
    const day = await client.get(
      attr(7, '1.0.99.1.0.255', 2),
      byRange(Date.parse('2026-05-31T00:00:00Z'), Date.parse('2026-05-31T23:45:00Z')),
    );
    const rows = items(day.data);
    expect(rows).toHaveLength(96);
    expect(rowTime(rows[0]!)).toBe(Date.parse('2026-05-31T00:00:00Z'));
    const wh = rows.map((r) => num(items(r)[2]!));
    for (let i = 1; i < wh.length; i++) expect(wh[i]).toBeGreaterThanOrEqual(wh[i - 1]!);
    const inUse = num((await client.get(attr(7, '1.0.99.1.0.255', 7))).data);
    expect(inUse).toBe(35_040);
    const lastTwo = await client.get(attr(7, '1.0.99.1.0.255', 2), byEntry(inUse - 1, inUse));
    expect(rowTime(items(lastTwo.data)[1]!)).toBe(Date.parse('2026-06-01T12:00:00Z'));
    await t.close();
  });

  it('HLS-GMAC disconnect stops consumption; the invocation counter is enforced', async () => {
    const clock = new SimClock({ start: START, acceleration: 0 });
    sim = new DlmsSimulator({ meters: 1, transport: 'wrapper', clock });
    await sim.start();
    const { client, t } = await connect('wrapper', 'high-gmac');
    await client.action(attr(70, '0.0.96.3.10.255', 1), { type: 'integer', value: 0 });
    expect((await client.get(attr(70, '0.0.96.3.10.255', 2))).data).toEqual({
      type: 'boolean',
      value: false,
    });
    const before = num((await client.get(attr(3, '1.0.1.8.0.255', 2))).data);
    clock.fastForward(3_600_000);
    expect(num((await client.get(attr(3, '1.0.1.8.0.255', 2))).data)).toBe(before);
    expect(num((await client.get(attr(3, '1.0.1.7.0.255', 2))).data)).toBe(0);
    await client.action(attr(70, '0.0.96.3.10.255', 2), { type: 'integer', value: 0 });
    clock.fastForward(3_600_000);
    expect(num((await client.get(attr(3, '1.0.1.8.0.255', 2))).data)).toBeGreaterThan(before);
    const next = client.invocationCounter;
    await t.close();
    // Replaying an old counter is refused with the expected one.
    await expect(connect('wrapper', 'high-gmac', 1, next - 2)).rejects.toMatchObject({
      code: 'MG_ERR_DLMS_EXCEPTION',
      detail: { serviceError: 6, expectedInvocationCounter: next },
    });
    const again = await connect('wrapper', 'high-gmac', 1, next);
    await again.t.close();
  });

  it('HLS-GMAC with a dedicated key: ded-ciphered GET, and GET with list', async () => {
    sim = new DlmsSimulator({
      meters: 1,
      transport: 'wrapper',
      clock: new SimClock({ start: START, acceleration: 0 }),
    });
    await sim.start();
    const t = new WrapperTransport(await connectTcp('127.0.0.1', sim.port), 1, 1, { timeoutMs: 3000 });
    const client = new DlmsClient(t, {
      auth: 'high-gmac',
      keys,
      dedicatedKey: dlmsFromHex('00112233445566778899aabbccddeeff'),
    });
    await client.associate();
    const seen: number[] = [];
    const request = t.request.bind(t);
    t.request = async (apdu) => {
      const answer = await request(apdu);
      seen.push(apdu[0]!, answer[0]!);
      return answer;
    };
    const v = await client.get(attr(3, '1.0.32.7.0.255', 3));
    expect(v.data).toEqual({
      type: 'structure',
      value: [
        { type: 'integer', value: -1 },
        { type: 'enum', value: 35 },
      ],
    });
    expect(seen).toEqual([0xd0, 0xd4]); // ded-get-request, ded-get-response
    const list = await client.getList([
      { attr: attr(3, '1.0.1.8.0.255', 2) },
      { attr: attr(1, '0.0.96.1.99.255', 2) },
      { attr: attr(8, '0.0.1.0.0.255', 2) },
    ]);
    expect(list.map((r) => r.ok)).toEqual([true, false, true]);
    expect(list[1]).toEqual({ ok: false, dar: 4 });
    await t.close();
  });

  it('the public client may not disconnect; a wrong LLS password is refused', async () => {
    sim = new DlmsSimulator({
      meters: 1,
      transport: 'hdlc',
      clock: new SimClock({ start: START, acceleration: 0 }),
    });
    await sim.start();
    const { client, t } = await connect('hdlc', 'none');
    await expect(
      client.action(attr(70, '0.0.96.3.10.255', 1), { type: 'integer', value: 0 }),
    ).rejects.toMatchObject({
      code: 'MG_ERR_DLMS_ACTION',
    });
    await t.close();
    const bad = new HdlcTransport(await connectTcp('127.0.0.1', sim.port), {
      clientSap: 17,
      server: { upper: 1, size: 1 },
    });
    await bad.open();
    const c2 = new DlmsClient(bad, { auth: 'low', password: Buffer.from('wrong') });
    await expect(c2.associate()).rejects.toMatchObject({
      code: 'MG_ERR_DLMS_AUTH',
      detail: { diagnostic: 13 },
    });
    await bad.close();
  });
});

describe('DLMS simulator fault injection', () => {
  it('HDLC: corrupted and dropped frames are recovered by the client (RR re-poll, SNRM again)', async () => {
    sim = new DlmsSimulator({
      meters: 1,
      transport: 'hdlc',
      seed: 'faults',
      clock: new SimClock({ start: START, acceleration: 0 }),
      faults: { crcErrorRate: 0.2, dropRate: 0.1 },
    });
    await sim.start();
    const t = new HdlcTransport(await connectTcp('127.0.0.1', sim.port), {
      clientSap: 16,
      server: { upper: 1, size: 1 },
      timeoutMs: 150,
      retries: 8,
    });
    await t.open();
    const client = new DlmsClient(t, { auth: 'none' });
    await client.associate();
    for (let i = 0; i < 15; i++) {
      const r = await client.get(attr(3, '1.0.1.8.0.255', 2));
      expect(r.data.type).toBe('double-long-unsigned');
    }
    // Long answers too: the object list in segmented I-frames.
    expect((await client.get(attr(15, '0.0.40.0.0.255', 2))).data.type).toBe('array');
    await t.close();
  });

  it('a refused association is a typed error; a slow meter is a timeout', async () => {
    sim = new DlmsSimulator({
      meters: 1,
      transport: 'wrapper',
      clock: new SimClock({ start: START, acceleration: 0 }),
      faults: { refuseAssociation: true },
    });
    await sim.start();
    const t = new WrapperTransport(await connectTcp('127.0.0.1', sim.port), 16, 1, { timeoutMs: 1000 });
    await expect(new DlmsClient(t, { auth: 'none' }).associate()).rejects.toMatchObject({
      code: 'MG_ERR_DLMS_ASSOCIATION',
    });
    await t.close();
    await sim.stop();
    sim = new DlmsSimulator({ meters: 1, transport: 'wrapper', faults: { delayMs: 300 } });
    await sim.start();
    const slow = new WrapperTransport(await connectTcp('127.0.0.1', sim.port), 16, 1, { timeoutMs: 100 });
    await expect(new DlmsClient(slow, { auth: 'none' }).associate()).rejects.toMatchObject({
      code: 'MG_ERR_DLMS_TIMEOUT',
    });
    await slow.close();
  });
});

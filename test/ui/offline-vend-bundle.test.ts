import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../token-engine/index.js';
import { EXAMPLE_ELECTRICITY_TARIFF } from '../../gateway/billing/index.js';
import {
  OfflineVendingDevice,
  type DeviceState,
  type OfflineSecurityModule,
  type mintCreditWithKey,
} from '../../gateway/prepaid/offline/index.js';
import { OFFLINE_VEND_BUNDLE, offlineVendBundle } from '../../scripts/gen-offline-vend-bundle.js';

// The committed browser bundle, plain JavaScript: loaded through a variable path (not type checked).
const BUNDLE = '../../dashboards/web/agent/offline-vend.js';
type Bundle = {
  OfflineVendingDevice: typeof OfflineVendingDevice;
  mintCreditWithKey: typeof mintCreditWithKey;
  hexToBytes: (hex: string) => Uint8Array;
};

const KEY = '00112233445566778899aabbccddeeff';
const allowance = {
  allowanceId: '00000000-0000-4000-8000-000000000001',
  vendorId: 'V1',
  deviceId: 'phone-1',
  amount: 200,
  expiresAt: '2026-12-09T00:00:00.000Z',
  meters: [
    {
      meterId: 'M1',
      supply: 'electricity' as const,
      ea: '11' as const,
      ken: 255,
      baseDate: 2014 as const,
      lastTid: null,
      tariff: EXAMPLE_ELECTRICITY_TARIFF.definition,
      social: false,
      position: { month: '2026-12', units: 120, fixed: 5 },
      decoderKey: KEY,
    },
  ],
};

describe('the offline vending bundle of the phone app', () => {
  it('is the build of the current sources (regenerate with `npx tsx scripts/gen-offline-vend-bundle.ts`)', async () => {
    expect(readFileSync(OFFLINE_VEND_BUNDLE, 'utf8') === (await offlineVendBundle())).toBe(true);
  });

  it('sells in the browser build as in the server’s: same price, a token the meter accepts', async () => {
    const bundle = (await import(BUNDLE)) as Bundle;
    const now = new Date('2026-12-08T09:00:00Z');
    // An asynchronous module, as the console's sealed one, minting with the bundle's own function.
    const keys = new Map<string, string>();
    const module: OfflineSecurityModule = {
      load: async (meters) => {
        for (const m of meters) keys.set(m.meterId, m.decoderKey);
      },
      mintCredit: async (meterId, units, tid) =>
        bundle.mintCreditWithKey(bundle.hexToBytes(keys.get(meterId)!), allowance.meters[0]!, units, tid),
      wipe: () => keys.clear(),
    };
    const browser = new bundle.OfflineVendingDevice('phone-1', module);
    await browser.provision(allowance);
    const server = new OfflineVendingDevice('phone-1');
    server.provision(allowance);
    const sold = await browser.sellAsync('M1', 50, now);
    expect(sold).toMatchObject({ seq: 1, units: server.sell('M1', 50, now).units });
    const meter = new MeterDecoder({
      decoderKey: Buffer.from(KEY, 'hex'),
      ea: '11',
      baseDate: 2014,
      ken: 255,
    });
    expect(meter.enter(sold.token, now)).toMatchObject({ ok: true, kind: 'credit', units: sold.units });

    // Kept and restored (a reload): no key in what is kept, and selling goes on from there.
    const state = browser.snapshot() as DeviceState;
    expect(JSON.stringify(state)).not.toContain(KEY);
    const again = bundle.OfflineVendingDevice.restore(state, module);
    const next = await again.sellAsync('M1', 50, new Date(now.getTime() + 60_000));
    expect(next).toMatchObject({ seq: 2 });
    expect(next.tid).toBeGreaterThan(sold.tid);
    expect(again.remaining).toBe(100);
    expect(meter.enter(next.token, now)).toMatchObject({ ok: true, units: next.units });
  });
});

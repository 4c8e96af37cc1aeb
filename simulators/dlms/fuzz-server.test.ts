import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dlmsFromHex, WrapperSplitter } from '../../drivers/index.js';
import { SimClock } from '../model/clock.js';
import { DlmsMeter } from './dlms-meter.js';
import { ServerAssociation } from './server-association.js';

/**
 * The simulator's side of bad input: 30,000 mutated client APDUs (from the recorded dlms-cosem
 * requests) through each client's association. Every one is answered or ignored, never thrown.
 */
const DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'shared',
  'vectors',
  'dlms',
);

function corpus(): Uint8Array[] {
  if (!fs.existsSync(DIR)) throw new Error(`DLMS recordings missing: ${DIR} does not exist`);
  const out: Uint8Array[] = [];
  for (const f of fs.readdirSync(DIR).filter((x) => x.endsWith('.jsonl'))) {
    for (const line of fs.readFileSync(path.join(DIR, f), 'utf8').trim().split('\n').slice(1, -1)) {
      const fr = JSON.parse(line) as { dir: string; hex: string; apdu?: string };
      if (fr.dir !== 'c2s') continue;
      if (fr.apdu) out.push(dlmsFromHex(fr.apdu));
      else if (fr.hex.startsWith('0001'))
        for (const w of new WrapperSplitter().push(dlmsFromHex(fr.hex))) out.push(w.apdu);
    }
  }
  return out;
}

describe('simulator associations under fuzzing', () => {
  it('30,000 mutated requests: answered or ignored, never thrown', () => {
    const apdus = corpus();
    expect(apdus.length).toBeGreaterThan(100);
    const clock = new SimClock({ start: Date.parse('2026-12-03T21:30:00Z'), acceleration: 0 });
    const meter = new DlmsMeter({ id: 'fuzz', seed: 1, clock, start: clock.now() });
    const security = {
      password: Buffer.from('Gurux'),
      keys: {
        ek: dlmsFromHex('000102030405060708090a0b0c0d0e0f'),
        ak: dlmsFromHex('d0d1d2d3d4d5d6d7d8d9dadbdcdddedf'),
      },
      challenge: () => dlmsFromHex('70389cce67b359ac56ab552a158a4522'),
    };
    const assocs = [16, 17, 1].map((sap) => new ServerAssociation(meter, sap, security, 1));
    let s = 0x5eed;
    const r = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    let answered = 0;
    for (let i = 0; i < 30_000; i++) {
      const a = assocs[i % 3]!;
      const src = apdus[Math.floor(r() * apdus.length)]!;
      const b = Array.from(src);
      // First replay the exact request now and then so associations exist, then mutate.
      if (i % 5 !== 0) {
        const k = 1 + Math.floor(r() * 3);
        for (let j = 0; j < k; j++) {
          const at = Math.floor(r() * b.length);
          if (r() < 0.6) b[at] = Math.floor(r() * 256);
          else b.length = at;
        }
      }
      if (a.handle(Uint8Array.from(b))) answered++;
    }
    expect(answered).toBeGreaterThan(10_000);
  });
});

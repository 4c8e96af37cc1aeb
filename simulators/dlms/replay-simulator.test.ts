import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectTcp,
  decodeAare,
  decodeCiphered,
  decodeXdlms,
  dlmsFromHex,
  dlmsUnprotect,
  HdlcTransport,
  WrapperSplitter,
  type CipherKeys,
  type DlmsData,
  type XdlmsApdu,
} from '../../drivers/index.js';
import { SimClock } from '../model/clock.js';
import { DlmsSimulator, serverTitle } from './index.js';

/**
 * The recorded client requests (dlms-cosem) fed to our simulator; each answer must have the recorded
 * answer's type and shape (see ../shared/vectors/dlms/README.md, "Testing a simulator"). HDLC
 * recordings go through our HDLC link layer (our segmentation differs, so the recorded RR frames
 * cannot be replayed verbatim); the wrapper recordings are replayed byte for byte.
 *
 * Where the recorded Gurux meter deviates from the standard, the simulator follows the standard and
 * the comparison says so: an object it does not have answers object-undefined (Gurux:
 * read-write-denied); an RLRQ it can honour gets an RLRE (Gurux: an exception).
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

interface Frame {
  dir: 'c2s' | 's2c';
  hex: string;
  kind: string;
  apdu?: string;
}
interface Rec {
  name: string;
  meta: {
    transport: string;
    client_sap: number;
    keys: { ek: string; ak: string } | null;
    server_started: string;
    server_challenge?: string;
    server_system_title?: string;
  };
  frames: Frame[];
}

function recordings(): Rec[] {
  if (!fs.existsSync(DIR)) throw new Error(`DLMS recordings missing: ${DIR} does not exist`);
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.jsonl'));
  if (!files.length) throw new Error(`DLMS recordings missing: no .jsonl in ${DIR}`);
  return files.sort().map((f) => {
    const lines = fs
      .readFileSync(path.join(DIR, f), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    return { name: f.slice(0, -6), meta: lines[0].meta, frames: lines.slice(1, -1) };
  });
}

let sim: DlmsSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/** The plain xDLMS APDU of an answer (deciphered when ciphered). */
function plainOf(bytes: Uint8Array, title: Uint8Array, keys: CipherKeys | undefined): Uint8Array {
  if (bytes[0] !== 0xdb || !keys) return bytes;
  const c = decodeCiphered(bytes);
  return dlmsUnprotect(c.content, c.systemTitle ?? title, keys).plain;
}

function shape(d: DlmsData, depth = 0): unknown {
  if (d.type === 'array')
    return depth >= 1 ? 'array' : ['array', d.value.length ? shape(d.value[0]!, depth + 1) : null];
  // Rows of a profile: our capture objects differ from the recorded meter's; the first column (the
  // clock) is compared, the others are the meter's choice.
  if (d.type === 'structure')
    return depth >= 1
      ? ['structure', d.value[0]?.type ?? null]
      : ['structure', d.value.map((x) => shape(x, depth + 1))];
  return d.type;
}

interface Summary {
  kind: string;
  iip?: number;
  code?: number | string;
  shape?: unknown;
  block?: number;
  returned?: boolean;
}

function summarise(bytes: Uint8Array, title: Uint8Array, keys: CipherKeys | undefined): Summary {
  if (bytes[0] === 0x61) {
    const a = decodeAare(bytes);
    return { kind: 'aare', code: `${a.result}/${a.diagnostic}` };
  }
  if (bytes[0] === 0x63) return { kind: 'release-response' };
  const x: XdlmsApdu = decodeXdlms(plainOf(bytes, title, keys));
  switch (x.kind) {
    case 'get-response-normal':
      return {
        kind: x.kind,
        iip: x.iip,
        ...(x.result.ok ? { shape: shape(x.result.data) } : { code: x.result.dar }),
      };
    case 'get-response-with-datablock':
      return { kind: x.kind, iip: x.iip, block: x.block, ...(x.dar !== undefined ? { code: x.dar } : {}) };
    case 'set-response-normal':
      return { kind: x.kind, iip: x.iip, code: x.result };
    case 'action-response-normal':
      return { kind: x.kind, iip: x.iip, code: x.result, returned: !!x.returned };
    case 'exception-response':
      return { kind: x.kind, code: `${x.stateError}/${x.serviceError}` };
    default:
      return { kind: x.kind };
  }
}

/** Compare one answer; returns a reason when it legitimately differs (documented deviations). */
function compare(rec: Rec, ours: Summary, theirs: Summary, request: string): void {
  const label = `${rec.name}: answer to ${request.slice(0, 40)}`;
  // Gurux answers read-write-denied for objects it does not list; we answer object-undefined.
  if (theirs.kind === ours.kind && ours.code === 4 && (theirs.code === 3 || theirs.shape !== undefined))
    return;
  if (theirs.kind === 'get-response-normal' && ours.kind === 'get-response-normal' && ours.code === 4) return;
  // A longer or shorter answer than the recorded one: more or fewer blocks, same numbering.
  if (theirs.kind === 'get-response-with-datablock' || ours.kind === 'get-response-with-datablock') {
    if (ours.kind === 'get-response-with-datablock' && ours.code === undefined) {
      expect(ours.iip, label).toBe(theirs.iip);
      if (theirs.block !== undefined) expect(ours.block, label).toBe(theirs.block);
      return;
    }
    if (ours.kind === 'get-response-with-datablock' && (ours.code === 16 || ours.code === 19)) return; // we had ended
    if (ours.kind === 'get-response-normal') return; // ours fitted in one APDU
  }
  // A profile range holding rows in one meter and none in the other (10-s versus 15-min capture).
  const a = ours.shape as unknown[] | undefined;
  const b = theirs.shape as unknown[] | undefined;
  if (a?.[0] === 'array' && b?.[0] === 'array' && (a[1] === null || b[1] === null)) return;
  // The LLS secret (association attribute 7) is readable in Gurux (README deviation); not here.
  if (request.includes('0000280000ff07') && ours.code === 3) return;
  // Release: Gurux refuses RLRQs it could honour (README "known deviations"); we answer RLRE.
  if (theirs.kind === 'exception-response' && ours.kind === 'release-response' && request.startsWith('62'))
    return;
  expect(ours, label).toEqual(theirs);
}

const LAX = new Set(['wrapper-lax-client16-lls', 'wrapper-lax-client17-none']);

async function startFor(rec: Rec): Promise<{ keys?: CipherKeys }> {
  const m = rec.meta;
  const keys = m.keys ? { ek: dlmsFromHex(m.keys.ek), ak: dlmsFromHex(m.keys.ak) } : undefined;
  const start = Date.parse(m.server_started) + 10 * 60_000;
  sim = new DlmsSimulator({
    meters: 1,
    transport: m.transport === 'wrapper' ? 'wrapper' : 'hdlc',
    clock: new SimClock({ start, acceleration: 0 }),
    password: 'Gurux',
    keys,
    challenge: m.server_challenge ? dlmsFromHex(m.server_challenge) : undefined,
  });
  await sim.start();
  if (rec.name === 'wrapper-gmac-ic-too-small') sim.meters[0]!.expectedInvocationCounter = 3;
  return { keys };
}

async function replayWrapper(rec: Rec, keys?: CipherKeys): Promise<void> {
  const socket = net.connect(sim!.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const splitter = new WrapperSplitter();
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (c) => {
    for (const f of splitter.push(c)) queue.push(f.apdu);
    wake?.();
  });
  const next = (ms: number) =>
    new Promise<Uint8Array | undefined>((resolve) => {
      if (queue.length) return resolve(queue.shift());
      const t = setTimeout(() => resolve(undefined), ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve(queue.shift());
      };
    });
  const title = serverTitle(sim!.meters[0]!.options.id);
  const recordedTitle = dlmsFromHex(rec.meta.server_system_title ?? '4142434445464748');
  for (let i = 0; i < rec.frames.length; i++) {
    const f = rec.frames[i]!;
    if (f.dir !== 'c2s') continue;
    socket.write(Buffer.from(f.hex, 'hex'));
    const answers = [];
    while (rec.frames[i + 1]?.dir === 's2c') answers.push(rec.frames[++i]!);
    if (answers.length === 0) {
      expect(await next(300), `${rec.name}: no answer expected`).toBeUndefined();
      continue;
    }
    for (const a of answers) {
      const ours = await next(3000);
      expect(ours, `${rec.name}: answer to ${f.hex.slice(16, 40)}`).toBeDefined();
      const theirs = summarise(dlmsFromHex(a.hex.slice(16)), recordedTitle, keys);
      const mine = summarise(ours!, title, keys);
      if (LAX.has(rec.name)) {
        // Strict SAP/mechanism pairing: we refuse what Gurux lets through (README "Lax SAP").
        expect(mine.kind).toBe('aare');
        expect(mine.code).not.toBe('0/0');
        socket.destroy();
        return;
      }
      compare(rec, mine, theirs, f.hex.slice(16));
    }
  }
  socket.destroy();
}

async function replayHdlc(rec: Rec, keys?: CipherKeys): Promise<void> {
  const link = await connectTcp('127.0.0.1', sim!.port);
  const t = new HdlcTransport(link, {
    clientSap: rec.meta.client_sap,
    server: { upper: 1, size: 1 },
    modeE: rec.meta.transport === 'mode-e',
    timeoutMs: 3000,
  });
  await t.open();
  expect(t.params.maxInfoTx, rec.name).toBe(128);
  const title = serverTitle(sim!.meters[0]!.options.id);
  const recordedTitle = dlmsFromHex(rec.meta.server_system_title ?? '4142434445464748');
  const iframes = rec.frames.filter((f) => f.apdu !== undefined);
  for (let i = 0; i < iframes.length; i++) {
    const req = iframes[i]!;
    if (req.dir !== 'c2s') continue;
    const answer = iframes[i + 1];
    const ours = await t.request(dlmsFromHex(req.apdu!));
    if (!answer || answer.dir !== 's2c') continue;
    compare(
      rec,
      summarise(ours, title, keys),
      summarise(dlmsFromHex(answer.apdu!), recordedTitle, keys),
      req.apdu!,
    );
  }
  await t.close();
}

describe('recorded dlms-cosem requests against our simulator', () => {
  const all = recordings();
  it('finds the recordings', () => expect(all.length).toBeGreaterThanOrEqual(29));
  for (const rec of all) {
    it(`${rec.name}: same answer types and shapes`, async () => {
      const { keys } = await startFor(rec);
      if (rec.meta.transport === 'wrapper') await replayWrapper(rec, keys);
      else await replayHdlc(rec, keys);
    });
  }
});

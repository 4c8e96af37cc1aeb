import { decodeDataBytes } from '../axdr.js';
import { fromHex, hex } from '../bytes.js';
import { DlmsClient, type ReleaseStyle } from '../client.js';
import { plainJson } from '../cosem-json.js';
import { DlmsError } from '../errors.js';
import { connectTcp } from '../link.js';
import { parseObjectRef } from '../obis.js';
import { byEntry, byRange } from '../selective-access.js';
import { HdlcTransport, WrapperTransport, type DlmsTransport } from '../transport.js';
import type { Recording } from './recordings.js';

/** What our client produced for one recorded step, in the recordings' result vocabulary. */
export type StepOutcome = Record<string, unknown>;

const RELEASE: Record<string, ReleaseStyle> = {
  false: 'none',
  'no-user-information': 'plain',
  'aarq-values': 'aarq-values',
  'negotiated-values': 'negotiated-values',
};

export async function transportFor(rec: Recording, port: number, timeoutMs: number): Promise<DlmsTransport> {
  const link = await connectTcp('127.0.0.1', port);
  if (rec.meta.transport === 'wrapper')
    return new WrapperTransport(link, rec.meta.client_sap, 1, { timeoutMs });
  return new HdlcTransport(link, {
    clientSap: rec.meta.client_sap,
    server: { upper: 1, size: 1 },
    modeE: rec.meta.transport === 'mode-e',
    timeoutMs,
    retries: 0,
  });
}

export function clientFor(rec: Recording, transport: DlmsTransport): DlmsClient {
  const m = rec.meta;
  return new DlmsClient(transport, {
    auth: m.auth,
    password: m.password ? Buffer.from(m.password, 'latin1') : undefined,
    keys: m.keys ? { ek: fromHex(m.keys.ek_used_by_client), ak: fromHex(m.keys.ak) } : undefined,
    systemTitle: fromHex(m.client_system_title_hex),
    challenge: m.client_challenge ? fromHex(m.client_challenge) : undefined,
    invocationCounter: m.initial_invocation_counter ?? 0,
    maxPduSize: m.max_pdu_size_proposed ?? 0xffff,
    invokeIds: { get: 1, set: 1, action: 0 },
    release: RELEASE[String(m.release)] ?? 'plain',
  });
}

function errorOutcome(err: unknown): StepOutcome {
  if (!(err instanceof DlmsError)) throw err;
  return { errorCode: err.code, detail: err.detail };
}

/** Run the recording's steps with our client; every outcome is returned, errors included. */
export async function runSteps(rec: Recording, port: number, timeoutMs = 2000): Promise<StepOutcome[]> {
  const transport = await transportFor(rec, port, timeoutMs);
  const client = clientFor(rec, transport);
  const out: StepOutcome[] = [];
  try {
    await transport.open();
    await client.associate();
  } catch (err) {
    await transport.close();
    return [{ association: true, ...errorOutcome(err) }];
  }
  for (const step of rec.meta.steps) {
    const [op, spec] = step.split(' ') as [string, string];
    try {
      if (op === 'get') {
        const [refText, accessText] = spec.split('@') as [string, string | undefined];
        const ref = parseObjectRef(refText);
        let access;
        if (accessText?.startsWith('entry=')) {
          const [a, b] = accessText.slice(6).split('..').map(Number) as [number, number];
          access = byEntry(a, b);
        } else if (accessText?.startsWith('range=')) {
          const [a, b] = accessText.slice(6).split('..') as [string, string];
          access = byRange(Date.parse(a), Date.parse(b));
        }
        const r = await client.get({ classId: ref.classId, ln: ref.ln, attribute: ref.attribute }, access);
        out.push({
          obis: ref.obis,
          class_id: ref.classId,
          attribute: ref.attribute,
          type: r.data.type,
          value: plainJson(r.data),
          raw: hex(r.raw),
        });
      } else {
        const [target, data] = spec.split('=') as [string, string];
        const [cls, obis, n] = target.split(':') as [string, string, string];
        const ref = parseObjectRef(`${cls}:${obis}:${n}`);
        const attr = { classId: ref.classId, ln: ref.ln, attribute: ref.attribute };
        if (op === 'set') {
          await client.set(attr, decodeDataBytes(fromHex(data)));
          out.push({ obis, op, result: 'success' });
        } else {
          await client.action(attr, decodeDataBytes(fromHex(data)));
          out.push({ obis, op, result: 'success' });
        }
      }
    } catch (err) {
      out.push({ step, ...errorOutcome(err) });
      if (
        err instanceof DlmsError &&
        (err.code === 'MG_ERR_DLMS_CLOSED' || err.code === 'MG_ERR_DLMS_TIMEOUT')
      )
        break;
    }
  }
  if (rec.meta.release !== false) {
    try {
      out.push({ release: await client.release() });
    } catch (err) {
      out.push({ release: 'error', ...errorOutcome(err) });
    }
  }
  await transport.close();
  return out;
}

import type { Command } from 'commander';
import {
  byRange,
  contractJson,
  DlmsError,
  dlmsFromHex,
  formatObis,
  openSession,
  parseObis,
  parseObjectRef,
  printableText,
  rowTime,
  scalerUnitOf,
  type DlmsAuth,
  type DlmsData,
  type Json,
  type Session,
  type SessionOptions,
} from '../../drivers/index.js';
import type { CliContext } from '../context.js';

/**
 * `metergate dlms read|objects|profile`: read a DLMS/COSEM meter (or the simulator) and print one
 * JSON line per object, object-list entry or profile entry. Keys and passwords come from the flags
 * or from METERGATE_DLMS_PASSWORD / _EK / _AK and are never printed, not even in errors.
 */
interface ConnOpts {
  host?: string;
  port?: string;
  transport: string;
  client?: string;
  server: string;
  serverLower?: string;
  auth: string;
  password?: string;
  systemTitle?: string;
  blockCipherKey?: string;
  authKey?: string;
  invocationCounter: string;
  modeE?: boolean;
  timeout: string;
  serial?: string;
  baud?: string;
}

class UsageError extends Error {}

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name}: must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

function key(name: string, v: string | undefined, bytes: number): Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v))
    throw new UsageError(`${name}: must be ${bytes} bytes of hex`);
  return dlmsFromHex(v);
}

function sessionOptions(o: ConnOpts, env: NodeJS.ProcessEnv): SessionOptions {
  if (o.serial && o.transport !== 'hdlc') throw new UsageError('--serial needs --transport hdlc');
  if (!o.host && !o.serial)
    throw new UsageError('--host is required (or --serial PATH with --transport hdlc)');
  const port = o.serial ? 0 : int('--port', o.port, 1, 65535);
  if (port === undefined) throw new UsageError('--port is required');
  if (o.transport !== 'wrapper' && o.transport !== 'hdlc')
    throw new UsageError(`--transport: wrapper or hdlc, got ${JSON.stringify(o.transport)}`);
  if (!['none', 'low', 'high-gmac'].includes(o.auth))
    throw new UsageError(`--auth: none, low or high-gmac, got ${JSON.stringify(o.auth)}`);
  const auth = o.auth as DlmsAuth;
  const password = o.password ?? env.METERGATE_DLMS_PASSWORD;
  if (auth === 'low' && !password)
    throw new UsageError('--auth low needs --password (or METERGATE_DLMS_PASSWORD)');
  const ek = key('--block-cipher-key', o.blockCipherKey ?? env.METERGATE_DLMS_EK, 16);
  const ak = key('--auth-key', o.authKey ?? env.METERGATE_DLMS_AK, 16);
  if (auth === 'high-gmac' && (!ek || !ak))
    throw new UsageError(
      '--auth high-gmac needs --block-cipher-key and --auth-key (or METERGATE_DLMS_EK/_AK)',
    );
  const ic =
    o.invocationCounter === 'auto' ? 'auto' : int('--invocation-counter', o.invocationCounter, 0, 0xffffffff);
  if (o.modeE && o.transport !== 'hdlc') throw new UsageError('--mode-e needs --transport hdlc');
  return {
    host: o.host ?? '',
    port,
    serial: o.serial ? { path: o.serial, baud: int('--baud', o.baud, 300, 921_600) } : undefined,
    transport: o.transport,
    clientSap: int('--client', o.client, 1, 127),
    server: int('--server', o.server, 0, o.transport === 'wrapper' ? 0xffff : 0x3fff),
    serverLower: int('--server-lower', o.serverLower, 0, 0x3fff),
    modeE: !!o.modeE,
    auth,
    password: password ? Buffer.from(password, 'latin1') : undefined,
    keys: ek && ak ? { ek, ak } : undefined,
    systemTitle: key('--system-title', o.systemTitle, 8),
    invocationCounter: ic,
    timeoutMs: int('--timeout', o.timeout, 10, 600_000),
  };
}

function withConnection(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'meter or concentrator host')
    .option('--port <port>', 'TCP port')
    .option('--transport <kind>', 'wrapper (IEC 62056-47) or hdlc (IEC 62056-46)', 'wrapper')
    .option('--client <sap>', 'client SAP (default 16 none, 17 low, 1 high-gmac)')
    .option('--server <n>', 'wrapper destination wPort, or HDLC upper address', '1')
    .option('--server-lower <n>', 'HDLC lower (physical) address: four-byte server address')
    .option('--auth <level>', 'none, low (LLS) or high-gmac (HLS-GMAC, suite 0)', 'none')
    .option('--password <secret>', 'LLS password (or env METERGATE_DLMS_PASSWORD)')
    .option('--system-title <hex>', 'our 8-byte system title (default "MGATE001")')
    .option('--block-cipher-key <hex>', 'global unicast encryption key (or env METERGATE_DLMS_EK)')
    .option('--auth-key <hex>', 'authentication key (or env METERGATE_DLMS_AK)')
    .option('--invocation-counter <n>', 'auto (read 0.0.43.1.0.255 as client 16 first) or a number', 'auto')
    .option('--mode-e', 'IEC 62056-21 mode E opening before HDLC')
    .option('--serial <path>', 'HDLC over this serial line instead of TCP (optical probe, RS-485)')
    .option('--baud <n>', 'serial speed (default 9600; 300 with --mode-e, then the agreed speed)')
    .option('--timeout <ms>', 'answer timeout', '5000');
}

async function run(ctx: CliContext, o: ConnOpts, body: (s: Session) => Promise<void>): Promise<void> {
  let session: Session | undefined;
  try {
    session = await openSession(sessionOptions(o, ctx.env));
    await body(session);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr.write(`metergate dlms: ${err.message}\n`);
      ctx.exitCode = 2;
    } else if (err instanceof DlmsError) {
      ctx.stderr.write(`metergate dlms: ${err.code}: ${err.message}\n`);
      ctx.exitCode = 1;
    } else {
      ctx.stderr.write(`metergate dlms: ${(err as Error).message}\n`);
      ctx.exitCode = 1;
    }
  } finally {
    await session?.close().catch(() => {});
  }
}

const line = (ctx: CliContext, v: Record<string, Json | undefined>) =>
  ctx.stdout.write(`${JSON.stringify(v)}\n`);

/** Scaler-unit attribute of the value attributes of classes 3, 4 (attr 2) and 5 (attr 2, 3). */
function scalerAttribute(classId: number, attribute: number): number | undefined {
  if ((classId === 3 || classId === 4) && attribute === 2) return 3;
  if (classId === 5 && (attribute === 2 || attribute === 3)) return 4;
  return undefined;
}

function valueJson(d: DlmsData): Json {
  const su = scalerUnitOf(d);
  return su ? { scaler: su.scaler, unit: su.unit } : contractJson(d);
}

export function registerDlmsCommands(program: Command, ctx: CliContext): void {
  const dlms = program
    .command('dlms')
    .description('read DLMS/COSEM meters (LN referencing; wrapper or HDLC)');

  withConnection(
    dlms.command('read').description('read attributes: [CLASS:]OBIS[:ATTR]…, one JSON line each'),
  )
    .argument('<objects...>', 'objects to read, e.g. 3:1.0.1.8.0.255:2 or 0.0.1.0.0.255')
    .action(async (objects: string[], o: ConnOpts) => {
      let refs;
      try {
        refs = objects.map(parseObjectRef);
      } catch (err) {
        ctx.stderr.write(`metergate dlms: ${(err as Error).message}\n`);
        ctx.exitCode = 2;
        return;
      }
      await run(ctx, o, async (s) => {
        for (const ref of refs) {
          const attr = { classId: ref.classId, ln: ref.ln, attribute: ref.attribute };
          const { data } = await s.client.get(attr);
          const out: Record<string, Json | undefined> = {
            obis: ref.obis,
            classId: ref.classId,
            attribute: ref.attribute,
            value: valueJson(data),
          };
          const text = printableText(data);
          if (text !== undefined && data.type === 'octet-string') out.text = text;
          const suAttr = scalerAttribute(ref.classId, ref.attribute);
          if (suAttr !== undefined) {
            const su = scalerUnitOf((await s.client.get({ ...attr, attribute: suAttr })).data);
            if (su) Object.assign(out, { scaler: su.scaler, unit: su.unit });
          }
          line(ctx, out);
        }
      });
    });

  withConnection(
    dlms
      .command('objects')
      .description("print the association's object list, one { obis, classId, version } per line"),
  ).action(async (o: ConnOpts) => {
    await run(ctx, o, async (s) => {
      const { data } = await s.client.get({ classId: 15, ln: parseObis('0.0.40.0.0.255'), attribute: 2 });
      if (data.type !== 'array') throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `object list is ${data.type}`);
      for (const e of data.value) {
        const f = e.type === 'structure' ? e.value : [];
        const [cls, ver, ln] = f;
        if (
          cls?.type !== 'long-unsigned' ||
          ver?.type !== 'unsigned' ||
          ln?.type !== 'octet-string' ||
          ln.value.length !== 6
        )
          throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'malformed object list entry');
        line(ctx, { obis: formatObis(ln.value), classId: cls.value, version: ver.value });
      }
    });
  });

  withConnection(
    dlms.command('profile').description('print a profile generic buffer, one JSON line per entry'),
  )
    .option('--obis <obis>', 'profile generic object', '1.0.99.1.0.255')
    .option('--from <iso>', 'first capture time (selective access by range)')
    .option('--to <iso>', 'last capture time (default: now)')
    .action(async (o: ConnOpts & { obis: string; from?: string; to?: string }) => {
      let ln: Uint8Array;
      let range: [number, number] | undefined;
      try {
        ln = parseObis(o.obis);
        if (o.from !== undefined || o.to !== undefined) {
          const from = o.from === undefined ? 0 : Date.parse(o.from);
          const to = o.to === undefined ? Date.now() + 86_400_000 : Date.parse(o.to);
          if (!Number.isFinite(from) || !Number.isFinite(to))
            throw new UsageError('--from/--to must be ISO 8601 instants');
          range = [from, to];
        }
      } catch (err) {
        ctx.stderr.write(`metergate dlms: ${(err as Error).message}\n`);
        ctx.exitCode = 2;
        return;
      }
      await run(ctx, o, async (s) => {
        const cols = await s.client.get({ classId: 7, ln, attribute: 3 });
        const names =
          cols.data.type === 'array'
            ? cols.data.value.map((c) => {
                const f = c.type === 'structure' ? c.value : [];
                const lnc = f[1]?.type === 'octet-string' ? formatObis(f[1].value) : '?';
                return `${f[0] && 'value' in f[0] ? String(f[0].value) : '?'}:${lnc}:${f[2] && 'value' in f[2] ? String(f[2].value) : '?'}`;
              })
            : [];
        const { data } = await s.client.get(
          { classId: 7, ln, attribute: 2 },
          range ? byRange(range[0], range[1]) : undefined,
        );
        if (data.type !== 'array') throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `buffer is ${data.type}`);
        for (const row of data.value) {
          const values = row.type === 'structure' ? row.value : [row];
          const t = rowTime(row);
          const out: Record<string, Json> = {};
          values.forEach((v, i) => (out[names[i] ?? String(i + 1)] = contractJson(v)));
          line(ctx, {
            time: t === undefined ? null : new Date(t).toISOString().replace('.000Z', 'Z'),
            values: out,
          });
        }
      });
    });
}

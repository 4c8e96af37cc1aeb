import { dlmsFromHex } from '../../drivers/index.js';
import {
  DEFAULT_DLMS_KEYS,
  DEFAULT_DLMS_PASSWORD,
  DlmsSimulator,
  parseHostPort,
  SimClock,
  PROFILE_KINDS,
  type ProfileKind,
} from '../../simulators/index.js';
import type { CliContext } from '../context.js';

/**
 * The DLMS part of `metergate simulate --dlms HOST:PORT [--dlms-transport wrapper|hdlc] --meters N`.
 * The default secrets are public test material (the DLMS UA example keys, password "metergate") and
 * are printed so a head end can be pointed at the simulator; secrets given on the command line are
 * never printed.
 */
interface DlmsFlags {
  meters?: string;
  dlms?: string;
  dlmsTransport: string;
  dlmsPassword?: string;
  dlmsEk?: string;
  dlmsAk?: string;
  dlmsSerial?: string;
  seed: string;
  profile: string;
  acceleration: string;
  start?: string;
}

export interface RunningDlms {
  stop(): Promise<void>;
  waitForSignal(): Promise<void>;
}

export async function startDlmsFromFlags(o: DlmsFlags, ctx: CliContext): Promise<RunningDlms | undefined> {
  const fail = (msg: string, code = 2) => {
    ctx.stderr.write(`metergate simulate: ${msg}\n`);
    ctx.exitCode = code;
    return undefined;
  };
  const endpoint = parseHostPort(o.dlms ?? '');
  if (!endpoint) return fail(`--dlms: must be HOST:PORT, got ${JSON.stringify(o.dlms)}`);
  const meters = Number(o.meters);
  if (!Number.isInteger(meters) || meters < 1 || meters > 1000)
    return fail(`--meters: must be an integer in 1..1000 with --dlms, got ${JSON.stringify(o.meters)}`);
  if (o.dlmsTransport !== 'wrapper' && o.dlmsTransport !== 'hdlc')
    return fail(`--dlms-transport: wrapper or hdlc, got ${JSON.stringify(o.dlmsTransport)}`);
  if (o.dlmsTransport === 'hdlc' && meters > 0x3fff)
    return fail('--meters: HDLC upper addresses stop at 16383');
  const hex16 = (name: string, v: string | undefined, d: string) => {
    const s = v ?? d;
    if (!/^[0-9a-fA-F]{32}$/.test(s)) throw new Error(`${name}: must be 16 bytes of hex`);
    return dlmsFromHex(s);
  };
  let ek: Uint8Array;
  let ak: Uint8Array;
  try {
    ek = hex16('--dlms-ek', o.dlmsEk, DEFAULT_DLMS_KEYS.ek);
    ak = hex16('--dlms-ak', o.dlmsAk, DEFAULT_DLMS_KEYS.ak);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (!PROFILE_KINDS.includes(o.profile as ProfileKind))
    return fail(`--profile: must be one of ${PROFILE_KINDS.join(', ')}`);
  const acceleration = Number(o.acceleration);
  const start = o.start === undefined ? undefined : Date.parse(o.start);
  if (!Number.isFinite(acceleration) || acceleration < 0) return fail('--acceleration: must be a number ≥ 0');
  if (start !== undefined && !Number.isFinite(start)) return fail('--start: must be an ISO 8601 instant');
  const sim = new DlmsSimulator({
    meters,
    transport: o.dlmsTransport,
    host: endpoint.host,
    port: endpoint.port,
    password: o.dlmsPassword ?? DEFAULT_DLMS_PASSWORD,
    keys: { ek, ak },
    seed: o.seed,
    profile: o.profile as ProfileKind,
    clock: new SimClock({ acceleration, ...(start !== undefined ? { start } : {}) }),
  });
  try {
    await sim.start();
    if (o.dlmsSerial) await sim.serveSerial(o.dlmsSerial);
  } catch (err) {
    await sim.stop();
    return fail((err as Error).message, 1);
  }
  if (o.dlmsSerial)
    ctx.stdout.write(`serving the dlms meters on serial ${o.dlmsSerial} (HDLC, mode E accepted)\n`);
  const addr = o.dlmsTransport === 'wrapper' ? 'destination wPorts' : 'HDLC upper addresses';
  ctx.stdout.write(
    `serving ${meters} × dlms on ${o.dlmsTransport} ${endpoint.host}:${sim.port} ${addr} 1..${meters}\n`,
  );
  ctx.stdout.write(
    `dlms clients: 16 no security; 17 LLS password ${o.dlmsPassword ? '(given)' : DEFAULT_DLMS_PASSWORD}; ` +
      `1 HLS-GMAC suite 0 ek ${o.dlmsEk ? '(given)' : DEFAULT_DLMS_KEYS.ek} ak ${o.dlmsAk ? '(given)' : DEFAULT_DLMS_KEYS.ak}\n`,
  );
  return {
    stop: () => sim.stop(),
    waitForSignal: async () => {
      const signal = await new Promise<string>((resolve) => {
        const onInt = () => done('SIGINT');
        const onTerm = () => done('SIGTERM');
        const done = (s: string) => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve(s);
        };
        process.once('SIGINT', onInt);
        process.once('SIGTERM', onTerm);
      });
      await sim.stop();
      ctx.stdout.write(`${signal}: stopped ${meters} dlms meters\n`);
    },
  };
}

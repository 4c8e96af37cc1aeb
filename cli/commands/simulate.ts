import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  FleetRunner,
  parseFleetConfig,
  parseHostPort,
  type FleetConfig,
  type ServedEndpoint,
} from '../../simulators/index.js';
import { loadModelDir } from '../../drivers/index.js';
import type { CliContext } from '../context.js';
import { startDlmsFromFlags } from './simulate-dlms.js';

interface SimulateOptions {
  meters?: string;
  model: string;
  modbusTcp?: string;
  profile: string;
  seed: string;
  acceleration: string;
  start?: string;
  config?: string;
  models?: string;
  dlms?: string;
  dlmsTransport: string;
  dlmsPassword?: string;
  dlmsEk?: string;
  dlmsAk?: string;
  dlmsSerial?: string;
}

function ranges(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

function describe(e: ServedEndpoint): string {
  const models = new Map<string, number>();
  for (const m of e.meters) models.set(m.model.model, (models.get(m.model.model) ?? 0) + 1);
  const what = [...models].map(([m, n]) => `${n} × ${m}`).join(', ');
  const ids = e.unitIds.length ? ` unit ids ${ranges(e.unitIds)}` : ` meter ${e.meters[0]?.serial ?? ''}`;
  return `serving ${what} on ${e.transport} ${e.endpoint}${ids}`;
}

/** The config from the flags: `--meters N --model M --modbus-tcp HOST:PORT` or a fleet file. */
async function configFrom(
  opts: SimulateOptions,
): Promise<{ ok: true; value: FleetConfig } | { ok: false; errors: string[] }> {
  if (opts.config) {
    if (opts.meters || opts.modbusTcp)
      return { ok: false, errors: ['--config cannot be combined with --meters/--modbus-tcp'] };
    let text: string;
    try {
      text = await readFile(opts.config, 'utf8');
    } catch (err) {
      return { ok: false, errors: [`${opts.config}: cannot read (${(err as Error).message})`] };
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      return { ok: false, errors: [`${opts.config}: not valid YAML (${(err as Error).message})`] };
    }
    const r = parseFleetConfig(doc);
    return r.ok ? r : { ok: false, errors: r.errors.map((e) => `${opts.config}: ${e}`) };
  }
  if (!opts.meters || !opts.modbusTcp) {
    return { ok: false, errors: ['give --meters N and --modbus-tcp HOST:PORT, or --config fleet.yaml'] };
  }
  const endpoint = parseHostPort(opts.modbusTcp);
  if (!endpoint)
    return { ok: false, errors: [`--modbus-tcp: must be HOST:PORT, got ${JSON.stringify(opts.modbusTcp)}`] };
  const acceleration = Number(opts.acceleration);
  const count = Number(opts.meters);
  const r = parseFleetConfig({
    seed: opts.seed,
    acceleration,
    ...(opts.start !== undefined ? { start: opts.start } : {}),
    meters: [
      { model: opts.model, count, profile: opts.profile, modbusTcp: endpoint, idPrefix: `${opts.model}-` },
    ],
  });
  if (r.ok) return r;
  // Name the flags, not the internal config paths.
  const flags: Record<string, string> = {
    'meters[0].count': '--meters',
    'meters[0].model': '--model',
    'meters[0].profile': '--profile',
    acceleration: '--acceleration',
    start: '--start',
    'meters[0]': '--meters',
  };
  return { ok: false, errors: r.errors.map((e) => e.replace(/^[^:]+/, (p) => flags[p] ?? p)) };
}

export function registerSimulateCommands(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description('serve simulated meters (Modbus TCP/RTU, IEC 62056-21) until SIGINT/SIGTERM')
    .option('--meters <n>', 'number of meters, served as unit ids 1..N on one Modbus TCP port')
    .option('--model <name>', 'catalogue model of the meters', 'sdm630')
    .option('--models <dir>', 'directory of user model files (YAML/JSON) that --model may name')
    .option('--modbus-tcp <host:port>', 'Modbus TCP endpoint to listen on (port 0 picks a free one)')
    .option('--profile <kind>', 'load profile: household or small-business', 'household')
    .option('--seed <seed>', 'seed of the deterministic load profiles', '1')
    .option('--acceleration <x>', 'simulated seconds per real second (0 freezes the clock at --start)', '1')
    .option('--start <iso>', 'simulated start instant, e.g. 2026-01-15T12:00:00Z (default: now)')
    .option(
      '--config <file>',
      'fleet file (YAML/JSON): mixed models, transports, profiles, faults, anomalies',
    )
    .option(
      '--dlms <host:port>',
      'also serve --meters N DLMS/COSEM meters on this port (wPorts / HDLC addresses 1..N)',
    )
    .option(
      '--dlms-transport <kind>',
      'DLMS framing: wrapper (IEC 62056-47) or hdlc (IEC 62056-46)',
      'wrapper',
    )
    .option('--dlms-password <secret>', 'LLS password of DLMS client 17 (default metergate)')
    .option(
      '--dlms-ek <hex>',
      'HLS-GMAC block cipher key of DLMS client 1 (default: the DLMS UA example key)',
    )
    .option(
      '--dlms-ak <hex>',
      'HLS-GMAC authentication key of DLMS client 1 (default: the DLMS UA example key)',
    )
    .option('--dlms-serial <path>', 'also serve the DLMS meters with HDLC (and mode E) on this serial line')
    .action(async (opts: SimulateOptions) => {
      if (opts.models) {
        const loaded = loadModelDir(opts.models);
        if (!loaded.ok) {
          for (const e of loaded.errors) ctx.stderr.write(`metergate simulate: ${e}\n`);
          ctx.exitCode = 2;
          return;
        }
      }
      const dlms = opts.dlms ? await startDlmsFromFlags(opts, ctx) : undefined;
      if (opts.dlms && !dlms) return;
      if (dlms && !opts.modbusTcp && !opts.config) {
        await dlms.waitForSignal();
        return;
      }
      const cfg = await configFrom(opts);
      if (!cfg.ok) {
        for (const e of cfg.errors) ctx.stderr.write(`metergate simulate: ${e}\n`);
        ctx.exitCode = 2;
        await dlms?.stop();
        return;
      }
      const fleet = new FleetRunner({ config: cfg.value });
      try {
        await fleet.start();
      } catch (err) {
        ctx.stderr.write(`metergate simulate: ${(err as Error).message}\n`);
        ctx.exitCode = 1;
        return;
      }
      for (const e of fleet.endpoints()) ctx.stdout.write(`${describe(e)}\n`);
      ctx.stdout.write(`acceleration ×${cfg.value.acceleration}, seed ${cfg.value.seed}; stop with Ctrl-C\n`);
      const signal = await new Promise<string>((resolve) => {
        const on = (s: string) => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve(s);
        };
        const onInt = () => on('SIGINT');
        const onTerm = () => on('SIGTERM');
        process.once('SIGINT', onInt);
        process.once('SIGTERM', onTerm);
      });
      await fleet.stop();
      await dlms?.stop();
      ctx.stdout.write(`${signal}: stopped ${fleet.meters.length} meters\n`);
    });
}

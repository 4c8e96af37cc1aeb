import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { Demo } from '../demo/demo.js';
import { DEMO_POSTPAID } from '../demo/demo-billing.js';
import { PortInUseError } from '../demo/ports.js';
import { runUntilSignal, watchSignals } from '../stack/index.js';

function positiveInt(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer ${min}..${max} (got ${raw})`);
  return n;
}

/** The demo customer the banner suggests for the online agency. */
const AGENCY_TRY = DEMO_POSTPAID[0]!;

/** `metergate demo` (= `npm run demo`): everything in one process, until Ctrl-C. */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run the whole system in one process: broker, gateway, dashboards, simulated fleet, edge')
    .option('--port <port>', 'HTTP port of the gateway and dashboards', '8080')
    .option('--meters <n>', 'simulated meters (Modbus TCP, RTU, IEC 62056-21, MQTT prepaid)', '50')
    .option('--data-dir <dir>', 'where the embedded database, outbox and demo master key live', '.data/demo')
    .option('--host <host>', 'interface the HTTP server binds', '127.0.0.1')
    .action(async (opts: { port: string; meters: string; dataDir: string; host: string }) => {
      let port: number;
      let meters: number;
      try {
        port = positiveInt('--port', opts.port, 1, 65535);
        meters = positiveInt('--meters', opts.meters, 2, 5000);
      } catch (err) {
        ctx.stderr.write(`${(err as Error).message}\n`);
        ctx.exitCode = 1;
        return;
      }
      const logger = ctx.logger(ctx.env.LOG_LEVEL ?? 'warn');
      let lastDecile = -1;
      const demo = new Demo({
        port,
        meters,
        dataDir: opts.dataDir,
        host: opts.host,
        logger,
        env: ctx.env,
        // One progress line per tenth of the fleet, on stderr, while the dashboards already work.
        onHistoryProgress: (done, total) => {
          const decile = Math.floor((done * 10) / total);
          if (decile === lastDecile) return;
          lastDecile = decile;
          ctx.stderr.write(`metergate demo: history ${done}/${total} meters (${decile * 10} %)\n`);
        },
      });
      let banner;
      // Caught from here: a signal during the start stops the demo once it has started.
      const signals = watchSignals();
      try {
        banner = await demo.start();
      } catch (err) {
        signals.dispose();
        // Start failed: stop what started (logged per service by the lifecycle), then report.
        await demo.stop();
        if (err instanceof PortInUseError) {
          ctx.stderr.write(`metergate demo: ${err.message}\n`);
          ctx.exitCode = 1;
          return;
        }
        throw err;
      }
      ctx.stdout.write(
        [
          '',
          'metergate demo is running',
          `  dashboards   ${banner.url}/ui/`,
          `  API docs     ${banner.url}/docs`,
          `  agency       ${banner.url}/agence — create an account as demo customer ${AGENCY_TRY.customerNumber}: contract ${AGENCY_TRY.contract}, CIN ${AGENCY_TRY.cin}, born ${AGENCY_TRY.birthDate}, mobile ${AGENCY_TRY.mobile}; the password SMS is in GET /api/outbox (operator key)`,
          ...(ctx.env.METERGATE_CAPTCHA_BYPASS === '1'
            ? [
                '  CAPTCHA      METERGATE_CAPTCHA_BYPASS=1: the answer "bypass" is accepted (tests and demo only)',
              ]
            : []),
          `  MQTT broker  ${banner.mqttUrl}`,
          `  fleet        ${Object.entries(banner.fleet)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`,
          `  history      ${banner.history.days} days for ${banner.history.meters} meters, written in the background (skipped when present)`,
          '  API keys (shown once; paste one into the dashboards):',
          `    admin     ${banner.keys.admin}`,
          `    operator  ${banner.keys.operator}`,
          `    vendor    ${banner.keys.vendor}`,
          `    customer  ${banner.keys.customer}`,
          `    reader    ${banner.keys.reader}   (meter reader: ${banner.url}/ui/agent/)`,
          '  Ctrl-C stops cleanly.',
          '',
        ].join('\n'),
      );
      await runUntilSignal({
        signals,
        stop: async () => {
          ctx.stderr.write('metergate demo: stopping (flushing the edge outbox and ingest)\n');
          await demo.stop();
        },
        log: (level, message) => logger[level](`demo: ${message}`),
      });
      ctx.stderr.write('metergate demo: stopped\n');
    });
}

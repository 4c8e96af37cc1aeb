import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ConfigError, loadConfig } from '../config/index.js';
import type { StoreKind } from '../../gateway/index.js';
import { AesGcmSecurityModule } from '../../gateway/prepaid/vending/index.js';
import { gatewayFromConfig, runUntilSignal, watchSignals } from '../stack/index.js';

const STORES: StoreKind[] = ['pglite', 'postgres', 'influx'];

/** `metergate gateway`: the whole gateway role against the configured broker and stores, until SIGINT/SIGTERM. */
export function registerGatewayCommand(program: Command, ctx: CliContext): void {
  program
    .command('gateway')
    .description(
      'run the gateway: MQTT ingest into the reading store, rollups, vending, REST API (/docs), dashboards (/ui/)',
    )
    .option('--config <file>', 'YAML or JSON configuration file (environment overrides apply)')
    .option('--port <port>', 'HTTP port (overrides http.port)')
    .option(
      '--store <kind>',
      `reading store: ${STORES.join(' | ')} (default: influx when influx.url is set, postgres when database.url is set, else pglite)`,
    )
    .option(
      '--client-id <id>',
      'MQTT client id (default <username>:gateway-<host>; a stable id keeps the broker session across restarts)',
    )
    .option(
      '--public-metrics',
      'serve /metrics without authentication (for a Prometheus on a private network)',
    )
    .action(
      async (opts: {
        config?: string;
        port?: string;
        store?: string;
        clientId?: string;
        publicMetrics?: boolean;
      }) => {
        let cfg;
        try {
          cfg = await loadConfig(opts.config, ctx.env);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          ctx.stderr.write(`${err.message}\n`);
          ctx.exitCode = 1;
          return;
        }
        if (opts.store && !STORES.includes(opts.store as StoreKind)) {
          ctx.stderr.write(`--store must be one of ${STORES.join(', ')} (got ${opts.store})\n`);
          ctx.exitCode = 1;
          return;
        }
        const port = opts.port === undefined ? cfg.http.port : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          ctx.stderr.write(`--port must be an integer 0..65535 (got ${opts.port})\n`);
          ctx.exitCode = 1;
          return;
        }
        if (!cfg.mqtt.url) {
          ctx.stderr.write(
            'mqtt.url (MQTT_URL) is not set: the gateway subscribes to a broker — an external one or `metergate broker`\n',
          );
          ctx.exitCode = 1;
          return;
        }
        const logger = ctx.logger(cfg.log.level);
        const hasMasterKey = Boolean(ctx.env.METERGATE_MASTER_KEY || ctx.env.METERGATE_MASTER_KEY_FILE);
        const gateway = gatewayFromConfig(
          { ...cfg, http: { ...cfg.http, port } },
          {
            store: opts.store as StoreKind | undefined,
            securityModule: hasMasterKey ? AesGcmSecurityModule.fromEnv(ctx.env) : undefined,
            logger,
            mqttClientId: opts.clientId,
            publicMetrics: opts.publicMetrics,
          },
        );
        // A failed start has already stopped what it started (the lifecycle list, in reverse).
        const signals = watchSignals();
        try {
          await gateway.start();
        } catch (err) {
          signals.dispose();
          throw err;
        }
        ctx.stderr.write(
          `metergate gateway ready: ${gateway.url ?? 'no HTTP'} store=${gateway.store?.kind}\n`,
        );
        await runUntilSignal({
          signals,
          stop: () => gateway.stop(),
          log: (level, message) => logger[level](`gateway: ${message}`),
        });
        logger.info('gateway: stopped');
      },
    );
}

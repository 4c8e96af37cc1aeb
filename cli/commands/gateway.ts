import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { Gateway, type StoreKind } from '../../gateway/index.js';
import { VERSION } from '../version.js';

const STORES: StoreKind[] = ['pglite', 'postgres', 'influx'];

/** `metergate gateway`: ingest + query API against the configured broker and stores, until SIGINT/SIGTERM. */
export function registerGatewayCommand(program: Command, ctx: CliContext): void {
  program
    .command('gateway')
    .description('run the gateway: MQTT ingest into the reading store, rollups, HTTP API (/docs)')
    .option('--config <file>', 'YAML or JSON configuration file (environment overrides apply)')
    .option('--port <port>', 'HTTP port (overrides http.port)')
    .option(
      '--store <kind>',
      `reading store: ${STORES.join(' | ')} (default: postgres when database.url is set, else pglite)`,
    )
    .option('--client-id <id>', 'MQTT client id (a stable id keeps the broker session across restarts)')
    .action(async (opts: { config?: string; port?: string; store?: string; clientId?: string }) => {
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
          'mqtt.url (MQTT_URL) is not set: the gateway subscribes to a broker — an external one or the embedded broker’s port\n',
        );
        ctx.exitCode = 1;
        return;
      }
      const logger = ctx.logger(cfg.log.level);
      const gateway = new Gateway({
        databaseUrl: cfg.database.url,
        dataDir: cfg.dataDir,
        store: opts.store as StoreKind | undefined,
        influx: cfg.influx.url
          ? {
              url: cfg.influx.url,
              database: cfg.influx.database,
              username: cfg.influx.username,
              password: cfg.influx.password,
            }
          : undefined,
        mqtt: {
          url: cfg.mqtt.url,
          prefix: cfg.mqtt.prefix,
          username: cfg.mqtt.username,
          password: cfg.mqtt.password,
          clientId: opts.clientId,
        },
        http: { host: cfg.http.host, port },
        version: VERSION,
        log: (level, message) => logger[level](message),
      });
      await gateway.start();
      ctx.stderr.write(`metergate gateway ready: ${gateway.url ?? 'no HTTP'} store=${gateway.store?.kind}\n`);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          logger.info(`${signal}: stopping`);
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve();
        };
        const onInt = () => shutdown('SIGINT');
        const onTerm = () => shutdown('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
      });
      await gateway.stop();
    });
}

import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { DriverError, Edge, loadEdgeConfig } from '../../drivers/index.js';

/**
 * `metergate edge --config edge.yaml`: polls the configured meters and publishes their readings
 * through the durable outbox until SIGINT/SIGTERM, then stops cleanly (pending polls land in the
 * outbox, the outbox drains to the broker for a few seconds, the rest stays on disk for next time).
 */
export function registerEdgeCommands(program: Command, ctx: CliContext): void {
  program
    .command('edge')
    .description('run an edge: poll Modbus TCP/RTU and IEC 62056-21 meters, publish readings over MQTT')
    .requiredOption('-c, --config <file>', 'edge YAML/JSON config (meters, broker, edgeId, outbox)')
    .option('--check', 'validate the config and exit')
    .addHelpText(
      'after',
      '\nEnvironment: MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD override broker.url/username/password.',
    )
    .action(async (opts: { config: string; check?: boolean }) => {
      let config;
      try {
        config = loadEdgeConfig(opts.config);
      } catch (err) {
        if (!(err instanceof DriverError)) throw err;
        ctx.stderr.write(`${err.code}: ${err.message}\n`);
        ctx.exitCode = 1;
        return;
      }
      // Secrets stay out of config files when the deployment passes them in the environment.
      if (ctx.env.MQTT_URL) config.broker.url = ctx.env.MQTT_URL;
      if (ctx.env.MQTT_USERNAME) config.broker.username = ctx.env.MQTT_USERNAME;
      if (ctx.env.MQTT_PASSWORD) config.broker.password = ctx.env.MQTT_PASSWORD;
      if (opts.check) {
        ctx.stdout.write(`${opts.config}: ok (${config.meters.length} meters)\n`);
        return;
      }
      const logger = ctx.logger().child({ component: 'edge', edge: config.edgeId });
      const edge = new Edge({ config, logger });
      await edge.start();
      await new Promise<void>((resolve) => {
        const onSignal = (sig: NodeJS.Signals) => {
          logger.info({ signal: sig }, 'stopping edge');
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      await edge.stop();
    });
}

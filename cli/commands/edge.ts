import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { DriverError, Edge, loadEdgeConfig, mosquittoEdgeAcl } from '../../drivers/index.js';
import { TopicScheme } from '../../protocol/index.js';
import { runUntilSignal, watchSignals } from '../stack/index.js';

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
    .option(
      '--mosquitto-acl',
      'print the Mosquitto acl_file stanza for this edge (its meters only: cmd read, reading/event/state write) and exit',
    )
    .addHelpText(
      'after',
      '\nEnvironment: MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD override broker.url/username/password.',
    )
    .action(async (opts: { config: string; check?: boolean; mosquittoAcl?: boolean }) => {
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
      if (opts.mosquittoAcl) {
        ctx.stdout.write(
          mosquittoEdgeAcl({
            username: config.broker.username ?? config.edgeId,
            edgeId: config.edgeId,
            // Pushing DLMS meters publish too (readings, state, their power events).
            meterIds: [...config.meters, ...(config.dlmsPush?.meters ?? [])].map((m) => m.id),
            topics: new TopicScheme(config.broker.prefix),
          }),
        );
        return;
      }
      if (opts.check) {
        ctx.stdout.write(`${opts.config}: ok (${config.meters.length} meters)\n`);
        return;
      }
      const logger = ctx.logger().child({ component: 'edge', edge: config.edgeId });
      const edge = new Edge({ config, logger });
      const signals = watchSignals();
      try {
        await edge.start();
      } catch (err) {
        signals.dispose();
        throw err;
      }
      await runUntilSignal({
        signals,
        stop: () => edge.stop(),
        log: (level, message) => logger[level](`edge: ${message}`),
      });
    });
}

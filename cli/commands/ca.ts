import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import {
  initCa,
  issueDeviceCertificate,
  issueServerCertificate,
  revokeCertificate,
  type Role,
} from '../../broker/index.js';

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new Error(`--days ${JSON.stringify(value)} must be 1–3650`);
  return n;
}

/** `metergate ca init | issue | revoke`: the project's own device CA (key material is never printed). */
export function registerCaCommands(program: Command, ctx: CliContext): void {
  const ca = program.command('ca').description('device certificate authority for MQTT client certificates');

  ca.command('init')
    .description(
      'create a CA key (mode 0600) and certificate, and a server certificate for the broker TLS listener',
    )
    .requiredOption('--dir <dir>', 'CA directory')
    .option('--cn <name>', 'CA common name', 'metergate device CA')
    .option('--days <n>', 'CA validity in days', days, 3650)
    .option(
      '--server-host <hosts>',
      'comma-separated names/IPs of the broker certificate',
      'localhost,127.0.0.1,::1',
    )
    .action(async (o: { dir: string; cn: string; days: number; serverHost: string }) => {
      const r = await initCa({
        dir: o.dir,
        commonName: o.cn,
        days: o.days,
        serverHosts: o.serverHost.split(','),
      });
      ctx.stdout.write(`CA certificate: ${r.certFile}\nCA key: ${r.keyFile} (mode 0600, keep it offline)\n`);
    });

  ca.command('issue')
    .description('issue a client certificate (CN = id, OU = role) or a broker server certificate')
    .requiredOption('--dir <dir>', 'CA directory')
    .option('--edge <id>', 'edge id')
    .option('--meter <id>', 'meter id (MQTT-native meter)')
    .option('--dashboard [id]', 'dashboard (read-only) client')
    .option('--gateway [id]', 'gateway client')
    .option('--server <hosts>', 'comma-separated host names/IPs: issue the broker server certificate')
    .option('--days <n>', 'validity in days', days)
    .option('--out <dir>', 'where to write the pair (default DIR/issued)')
    .action(
      async (o: {
        dir: string;
        edge?: string;
        meter?: string;
        dashboard?: string | true;
        gateway?: string | true;
        server?: string;
        days?: number;
        out?: string;
      }) => {
        const picked: Array<[Role, string]> = [];
        if (o.edge) picked.push(['edge', o.edge]);
        if (o.meter) picked.push(['meter', o.meter]);
        if (o.dashboard) picked.push(['dashboard', o.dashboard === true ? 'dashboard' : o.dashboard]);
        if (o.gateway) picked.push(['gateway', o.gateway === true ? 'gateway' : o.gateway]);
        if (picked.length + (o.server ? 1 : 0) !== 1) {
          throw new Error(
            'give exactly one of --edge ID, --meter ID, --dashboard [ID], --gateway [ID], --server HOSTS',
          );
        }
        const r = o.server
          ? await issueServerCertificate({
              dir: o.dir,
              hosts: o.server.split(','),
              ...(o.days ? { days: o.days } : {}),
            })
          : await issueDeviceCertificate({
              dir: o.dir,
              role: picked[0]![0],
              id: picked[0]![1],
              ...(o.days ? { days: o.days } : {}),
              ...(o.out ? { outDir: o.out } : {}),
            });
        ctx.stdout.write(
          `${JSON.stringify({ cert: r.certFile, key: r.keyFile, serial: r.serial, notAfter: r.notAfter.toISOString() })}\n`,
        );
      },
    );

  ca.command('revoke')
    .description('revoke a certificate by serial or file; brokers refuse it at the next connect')
    .requiredOption('--dir <dir>', 'CA directory')
    .option('--serial <hex>', 'certificate serial number')
    .option('--cert <file>', 'certificate file')
    .action(async (o: { dir: string; serial?: string; cert?: string }) => {
      const serial = await revokeCertificate({
        dir: o.dir,
        ...(o.serial ? { serial: o.serial } : {}),
        ...(o.cert ? { certFile: o.cert } : {}),
      });
      ctx.stdout.write(`revoked ${serial}\n`);
    });
}

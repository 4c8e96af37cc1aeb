import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { requireCommand } from '../support/services.js';

const run = promisify(execFile);

interface ComposeService {
  image?: string;
  command?: string[];
}

// No Docker engine runs here, so the stack is proved the other way round: the compose file is valid
// for docker-compose itself, and every metergate role and flag it uses exists in the CLI.
describe('docker-compose.yml', () => {
  const env = {
    ...process.env,
    POSTGRES_PASSWORD: 'x',
    GRAFANA_ADMIN_PASSWORD: 'x',
    MQTT_GATEWAY_PASSWORD: 'x',
    MQTT_EDGE_PASSWORD: 'x',
    METERGATE_MASTER_KEY: '00'.repeat(32),
  };

  it('is valid for docker-compose and refuses to start without its secrets', async () => {
    requireCommand('docker-compose', 'docker-compose');
    await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { env });
    const noSecrets = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      env: { PATH: process.env.PATH },
    }).catch((e: { stderr: string }) => e);
    expect((noSecrets as { stderr: string }).stderr).toMatch(/POSTGRES_PASSWORD|MASTER_KEY|PASSWORD/);
  });

  it('uses only metergate roles and flags that exist', async () => {
    const doc = parse(await readFile('docker-compose.yml', 'utf8'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const roles = Object.entries(doc.services).filter(([, s]) => s.image?.startsWith('metergate'));
    expect(roles.map(([name]) => name).sort()).toEqual(['broker', 'edge', 'gateway', 'simulators']);
    for (const [name, service] of roles) {
      const [command, ...args] = service.command ?? [];
      const { stdout } = await run('./bin/metergate', [command!, '--help']);
      for (const flag of args.filter((a) => a.startsWith('--'))) {
        expect(stdout, `${name}: metergate ${command} has no ${flag}`).toContain(flag);
      }
    }
  });

  it('ships configuration files the roles accept', async () => {
    const edge = await run('./bin/metergate', ['edge', '--config', 'deploy/edge.yaml', '--check']);
    expect(edge.stdout).toMatch(/ok \(20 meters\)/);
    const gateway = await run('./bin/metergate', ['config', 'check', 'deploy/gateway.yaml']);
    expect(gateway.stdout).toMatch(/deploy\/gateway\.yaml: ok/);
  });

  it('builds the image with the README install step', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const readme = await readFile('README.md', 'utf8');
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(readme).toMatch(/npm ci/);
  });
});

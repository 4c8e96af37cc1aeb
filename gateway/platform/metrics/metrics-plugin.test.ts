import Fastify from 'fastify';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsPlugin } from './index.js';

describe('metricsPlugin', () => {
  it('merges every module registry into one Prometheus scrape', async () => {
    const a = new Registry();
    const b = new Registry();
    new Counter({ name: 'metergate_ingest_readings_total', help: 'stored readings', registers: [a] }).inc(3);
    new Counter({ name: 'metergate_vends_total', help: 'vends', registers: [b] }).inc(2);
    const app = Fastify();
    await app.register(metricsPlugin, { registries: () => [a, b], public: true });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/^metergate_ingest_readings_total 3$/m);
    expect(res.body).toMatch(/^metergate_vends_total 2$/m);
    expect(res.body).toMatch(/metergate_process_cpu_user_seconds_total/);
    await app.close();
  });
});

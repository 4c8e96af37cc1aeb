import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * `GET /metrics` in the Prometheus text format. Each module (broker, ingest, edge, vending, jobs) keeps
 * its own prom-client Registry; they are merged per scrape so a module that starts late, or not at
 * all in this process, simply contributes nothing.
 */
export interface MetricsPluginOptions {
  /** Registries to expose, evaluated on each scrape. */
  registries: () => Registry[];
  /** Allow unauthenticated scrapes (default: admin and operator roles only). */
  public?: boolean;
  /** Collect Node process metrics (event loop lag, heap, GC) into the gateway's own registry. */
  processMetrics?: boolean;
}

async function metrics(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const own = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: own, prefix: 'metergate_' });
  app.get(
    '/metrics',
    {
      config: options.public ? { public: true } : { roles: ['operator'] },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics of every module running in this process',
        response: { 200: { type: 'string' } },
      },
    },
    async (_request, reply) => {
      const merged = Registry.merge([own, ...options.registries()]);
      reply.type(merged.contentType);
      return merged.metrics();
    },
  );
}

export const metricsPlugin = fp(metrics, { name: 'metergate-metrics', fastify: '5.x' });

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running one of the project's modules, named by its `.ts` source. From the build
 * (dist/, where this file is `ts-worker.js`) the compiled `.js` next to it runs as plain JavaScript;
 * from the sources tsx's loader is registered inside the new thread (loaders are per thread), then
 * the module is imported.
 */
export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const compiled = new URL(entry.href.replace(/\.ts$/, '.js'));
  if (import.meta.url.endsWith('.js') && existsSync(fileURLToPath(compiled))) {
    return new Worker(compiled, options);
  }
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Grafana provisioning root (datasources/ and dashboards/), mounted by docker-compose. */
export const GRAFANA_DIR = dirname(fileURLToPath(import.meta.url));

import { Type, type Static } from '@sinclair/typebox';
import { MapSection } from './sections/map.js';
import { NotifySection } from './sections/notify.js';
import { PrepaidSection } from './sections/prepaid.js';
import {
  DatabaseSection,
  HttpSection,
  InfluxSection,
  LogSection,
  MqttSection,
  RedisSection,
} from './sections/core.js';

export const MetergateConfig = Type.Object(
  {
    dataDir: Type.String({
      minLength: 1,
      default: '.data',
      description: 'embedded databases, outboxes, keys',
    }),
    log: LogSection,
    mqtt: MqttSection,
    http: HttpSection,
    database: DatabaseSection,
    redis: RedisSection,
    influx: InfluxSection,
    notify: NotifySection,
    prepaid: PrepaidSection,
    map: MapSection,
  },
  { additionalProperties: false, $id: 'MetergateConfig' },
);
export type MetergateConfig = Static<typeof MetergateConfig>;

/** Environment variables that override the file, as the twelve-factor deployments expect. */
export const ENV_OVERRIDES: ReadonlyArray<{
  env: string;
  path: string[];
  type: 'string' | 'integer' | 'boolean';
}> = [
  { env: 'METERGATE_DATA_DIR', path: ['dataDir'], type: 'string' },
  { env: 'LOG_LEVEL', path: ['log', 'level'], type: 'string' },
  { env: 'MQTT_URL', path: ['mqtt', 'url'], type: 'string' },
  { env: 'MQTT_PREFIX', path: ['mqtt', 'prefix'], type: 'string' },
  { env: 'MQTT_USERNAME', path: ['mqtt', 'username'], type: 'string' },
  { env: 'MQTT_PASSWORD', path: ['mqtt', 'password'], type: 'string' },
  { env: 'METERGATE_HTTP_HOST', path: ['http', 'host'], type: 'string' },
  { env: 'METERGATE_HTTP_PORT', path: ['http', 'port'], type: 'integer' },
  { env: 'METERGATE_PUBLIC_URL', path: ['http', 'publicUrl'], type: 'string' },
  { env: 'DATABASE_URL', path: ['database', 'url'], type: 'string' },
  { env: 'REDIS_URL', path: ['redis', 'url'], type: 'string' },
  { env: 'INFLUX_URL', path: ['influx', 'url'], type: 'string' },
  { env: 'INFLUX_DATABASE', path: ['influx', 'database'], type: 'string' },
  { env: 'INFLUX_USERNAME', path: ['influx', 'username'], type: 'string' },
  { env: 'INFLUX_PASSWORD', path: ['influx', 'password'], type: 'string' },
  {
    env: 'METERGATE_REVERSAL_WINDOW_MINUTES',
    path: ['prepaid', 'reversalWindowMinutes'],
    type: 'integer',
  },
  { env: 'METERGATE_MAP_TILE_URL', path: ['map', 'tileUrl'], type: 'string' },
  { env: 'METERGATE_MAP_TILE_ATTRIBUTION', path: ['map', 'tileAttribution'], type: 'string' },
  { env: 'SMTP_PASSWORD', path: ['notify', 'smtp', 'password'], type: 'string' },
  // Operators' own receivers inside a closed network (and the end-to-end tests' local receivers).
  { env: 'METERGATE_WEBHOOK_ALLOW_HTTP', path: ['notify', 'webhook', 'allowHttp'], type: 'boolean' },
  {
    env: 'METERGATE_WEBHOOK_ALLOW_PRIVATE',
    path: ['notify', 'webhook', 'allowPrivateAddresses'],
    type: 'boolean',
  },
];

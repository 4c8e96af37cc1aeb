// The field domain's public entry: the composition root imports only this file.
export { FIELD_ERRORS } from './errors.js';
export { FIELD_MIGRATIONS } from './migrations.js';
export { FieldFeature, type FieldFeatureOptions } from './field-feature.js';
export { DEFAULT_OUTAGE_RULE, type OutageRule } from './outages/outage-rule.js';
export type { PowerCut } from './outages/routes.js';
export type { Outage } from './outages/outage-store.js';
export { parsePointsCsv, parsePointsGeoJson, type PointInput } from './locations/location-import.js';
export {
  reliabilityIndices,
  SUSTAINED_AFTER_MINUTES,
  type ReliabilityIndices,
} from './reliability/reliability.js';
export {
  meterClustersJson,
  meterFeaturesJson,
  metersInBbox,
  parseBbox,
  type Bbox,
  type MeterFeature,
} from './map/map-query.js';

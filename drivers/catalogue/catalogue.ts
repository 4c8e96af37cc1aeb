import { CatalogueError } from './errors.js';
import { ABB_B23 } from './models/abb-b23.js';
import { EM24 } from './models/carlo-gavazzi-em24.js';
import { SDM120 } from './models/eastron-sdm120.js';
import { SDM630 } from './models/eastron-sdm630.js';
import { GENERIC_OBIS } from './models/generic-obis.js';
import { JANITZA_B23 } from './models/janitza-b23.js';
import type { MeterModel } from './types.js';

/** Every model, registered once; a duplicate model name fails at load time. */
const MODELS: readonly MeterModel[] = [SDM630, SDM120, EM24, ABB_B23, JANITZA_B23, GENERIC_OBIS];

function index(models: readonly MeterModel[]): Readonly<Record<string, MeterModel>> {
  const out: Record<string, MeterModel> = {};
  for (const m of models) {
    if (out[m.model])
      throw new CatalogueError('MG_ERR_CATALOGUE_CONFLICT', `model ${m.model} registered twice`);
    out[m.model] = m;
  }
  return Object.freeze(out);
}

export const CATALOGUE: Readonly<Record<string, MeterModel>> = index(MODELS);

export const MODEL_NAMES: readonly string[] = Object.freeze(Object.keys(CATALOGUE));

/** The model of that name; throws MG_ERR_CATALOGUE_UNKNOWN_MODEL naming the known ones otherwise. */
export function getModel(name: string): MeterModel {
  const m = Object.hasOwn(CATALOGUE, name) ? CATALOGUE[name] : undefined;
  if (!m) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_UNKNOWN_MODEL',
      `${JSON.stringify(name)} (known: ${MODEL_NAMES.join(', ')})`,
    );
  }
  return m;
}

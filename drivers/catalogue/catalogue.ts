import { fileURLToPath } from 'node:url';
import { CatalogueError } from './errors.js';
import { loadModelFile, modelFilesIn } from './model-file.js';
import type { MeterModel } from './types.js';

/**
 * The built-in catalogue is the folder `models/` next to this file: one YAML file per model, read once
 * at start. A broken built-in file is a programming error and fails loudly; user models come from
 * `--models DIR` / `models:` through `loadModelDir` and fail with every error named instead.
 */
export const BUILTIN_MODELS_DIR = fileURLToPath(new URL('./models/', import.meta.url));

function loadBuiltins(): Readonly<Record<string, MeterModel>> {
  const out: Record<string, MeterModel> = {};
  for (const file of modelFilesIn(BUILTIN_MODELS_DIR)) {
    const r = loadModelFile(file);
    if (!r.ok) throw new CatalogueError('MG_ERR_CATALOGUE_POINT', r.errors.join('\n'));
    if (out[r.model.model])
      throw new CatalogueError(
        'MG_ERR_CATALOGUE_CONFLICT',
        `model ${r.model.model} registered twice (${file})`,
      );
    out[r.model.model] = Object.freeze({ ...r.model, builtin: true });
  }
  return Object.freeze(out);
}

/** The built-in models by name. */
export const CATALOGUE: Readonly<Record<string, MeterModel>> = loadBuiltins();
export const MODEL_NAMES: readonly string[] = Object.freeze(Object.keys(CATALOGUE));

/** Models added at run time from user directories (`--models DIR`), by name. */
const userModels = new Map<string, MeterModel>();

/** Every model name known now: built-in first, then user models. */
export function modelNames(): string[] {
  return [...MODEL_NAMES, ...userModels.keys()];
}

export function findModel(name: string): MeterModel | undefined {
  return Object.hasOwn(CATALOGUE, name) ? CATALOGUE[name] : userModels.get(name);
}

/** The model of that name; throws MG_ERR_CATALOGUE_UNKNOWN_MODEL naming the known ones otherwise. */
export function getModel(name: string): MeterModel {
  const m = findModel(name);
  if (!m) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_UNKNOWN_MODEL',
      `${JSON.stringify(name)} (known: ${modelNames().join(', ')})`,
    );
  }
  return m;
}

export type ModelDirResult = { ok: true; models: MeterModel[] } | { ok: false; errors: string[] };

/**
 * Validates every model file of a directory; only when all are valid are they registered (a user
 * model may replace another user model of the same name, never a built-in one).
 */
export function loadModelDir(dir: string): ModelDirResult {
  let files: string[];
  try {
    files = modelFilesIn(dir);
  } catch (err) {
    return { ok: false, errors: [`${dir}: cannot list model files (${(err as Error).message})`] };
  }
  const errors: string[] = [];
  const models: MeterModel[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const r = loadModelFile(file);
    if (!r.ok) {
      errors.push(...r.errors);
      continue;
    }
    const name = r.model.model;
    if (Object.hasOwn(CATALOGUE, name))
      errors.push(`${file}: model: ${name} is a built-in model; choose another name`);
    else if (seen.has(name)) errors.push(`${file}: model: ${name} is also defined in ${seen.get(name)}`);
    else {
      seen.set(name, file);
      models.push(r.model);
    }
  }
  if (errors.length) return { ok: false, errors };
  for (const m of models) userModels.set(m.model, m);
  return { ok: true, models };
}

import type { Command } from 'commander';
import {
  getModel,
  loadModelDir,
  loadModelFile,
  modelJsonSchema,
  modelNames,
  findModel,
  type MeterModel,
} from '../../drivers/index.js';
import type { CliContext } from '../context.js';

/** Loads `--models DIR` when given; prints every error (file + key) and returns false on failure. */
function useModels(dir: string | undefined, ctx: CliContext, who: string): boolean {
  if (!dir) return true;
  const r = loadModelDir(dir);
  if (r.ok) return true;
  for (const e of r.errors) ctx.stderr.write(`metergate ${who}: ${e}\n`);
  ctx.exitCode = 1;
  return false;
}

const FN_NAMES = { 1: 'coil', 2: 'discrete input', 3: 'holding', 4: 'input' } as const;

function describeModel(m: MeterModel): string {
  const lines = [
    `${m.model} — ${m.vendor} ${m.description}`,
    `  source: ${m.source ?? '(not cited)'}`,
    `  file: ${m.file ?? '(built in)'}; ${m.phases} phase(s); ${m.points.length} fields`,
  ];
  for (const p of m.points) {
    const where = `${FN_NAMES[p.function]} ${p.address} (0x${p.address.toString(16).padStart(4, '0')})`;
    const extra = [
      p.type + (p.type === 'string' ? `×${p.registers}` : ''),
      p.byteOrder && p.registers > 1 ? p.byteOrder : '',
      p.bit !== undefined ? `bits ${p.bit}..${p.bit + (p.bits ?? 1) - 1}` : '',
      p.scale !== 1 ? `×${p.scale}` : '',
      p.offset ? `+${p.offset}` : '',
      p.unit,
      p.interval ? `every ${p.interval} s` : '',
      p.writable ? 'writable' : '',
    ].filter(Boolean);
    lines.push(`  ${p.key.padEnd(14)} ${where.padEnd(28)} ${extra.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerModelsCommands(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('meter models (register maps as data files)');
  models
    .command('list')
    .description('list the built-in models and those of --models DIR')
    .option('--models <dir>', 'directory of user model files (YAML/JSON)')
    .action((opts: { models?: string }) => {
      if (!useModels(opts.models, ctx, 'models list')) return;
      for (const name of modelNames()) {
        const m = findModel(name)!;
        ctx.stdout.write(
          `${name.padEnd(16)} ${m.builtin ? 'built-in' : 'user    '} ${m.vendor} ${m.description}\n`,
        );
      }
    });
  models
    .command('show')
    .argument('<name>', 'model name')
    .option('--models <dir>', 'directory of user model files (YAML/JSON)')
    .description('print the register map of one model')
    .action((name: string, opts: { models?: string }) => {
      if (!useModels(opts.models, ctx, 'models show')) return;
      try {
        ctx.stdout.write(describeModel(getModel(name)));
      } catch (err) {
        ctx.stderr.write(`metergate models show: ${(err as Error).message}\n`);
        ctx.exitCode = 1;
      }
    });
  models
    .command('check')
    .argument('<file>', 'model file (YAML or JSON)')
    .description('validate a model file: exit 0 when valid, otherwise one line per error naming the key')
    .action((file: string) => {
      const r = loadModelFile(file);
      if (r.ok) {
        ctx.stdout.write(`${file}: ok (${r.model.model}, ${r.model.points.length} fields)\n`);
        return;
      }
      for (const e of r.errors) ctx.stderr.write(`${e}\n`);
      ctx.exitCode = 1;
    });
  models
    .command('schema')
    .description('print the JSON Schema of model files (drivers/catalogue/model.schema.json)')
    .action(() => {
      ctx.stdout.write(`${JSON.stringify(modelJsonSchema(), null, 2)}\n`);
    });
}

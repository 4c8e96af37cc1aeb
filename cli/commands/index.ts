import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerBenchCommands } from './bench.js';
import { registerBrokerCommands } from './broker.js';
import { registerCaCommands } from './ca.js';
import { registerConfigCommands } from './config-check.js';
import { registerDemoCommand } from './demo.js';
import { registerEdgeCommands } from './edge.js';
import { registerTokenCommands } from './token.js';
import { registerKeysCommands } from './keys.js';
import { registerSimulateCommands } from './simulate.js';
import { registerGatewayCommand } from './gateway.js';
import { registerAnalyticsCommands } from './analytics.js';
import { registerDlmsCommands } from './dlms.js';
import { registerModelsCommands } from './models.js';

export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

/** Every subcommand, one registrar per concern. A command is listed here only once it works. */
export const COMMANDS: CommandRegistrar[] = [
  registerConfigCommands,
  registerBenchCommands,
  registerBrokerCommands,
  registerCaCommands,
  registerKeysCommands,
  registerTokenCommands,
  registerSimulateCommands,
  registerEdgeCommands,
  registerDemoCommand,
  registerGatewayCommand,
  registerAnalyticsCommands,
  registerDlmsCommands,
  registerModelsCommands,
];

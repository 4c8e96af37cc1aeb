export { COMMAND_ERRORS } from './errors.js';
export { COMMAND_MIGRATIONS } from './migrations.js';
export {
  MeterCommandService,
  type CommandName,
  type CommandStatus,
  type IssueCommand,
  type MeterCommand,
  type MeterCommandServiceOptions,
} from './command-service.js';
export { commandsPlugin, type CommandsPluginOptions } from './routes.js';

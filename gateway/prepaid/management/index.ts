export {
  issueManagementToken,
  changeKeys,
  type ManagementAction,
  type ManagementRequest,
  type KeyChangeRequest,
  type KeyChangeOutcome,
} from './management.js';

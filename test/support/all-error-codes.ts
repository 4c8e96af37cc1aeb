// Loads every gateway module that declares error codes, so the registry holds them all.
import '../../gateway/platform/index.js';
import '../../gateway/metering/index.js';
import '../../gateway/billing/index.js';
import '../../gateway/prepaid/index.js';
import '../../gateway/customers/index.js';
import '../../gateway/index.js';
import { declaredErrorCodes, errorDefinition } from '../../gateway/platform/index.js';

export { declaredErrorCodes, errorDefinition };

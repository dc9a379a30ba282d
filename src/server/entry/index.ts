// The server as `krypt server ...` commands see it: the one module of src/server they import
// (a lint rule holds this). Start, dev, init, operator inputs, and offline maintenance.

export { startServer, installShutdownHandlers, DEFAULT_PORT, type MetricsOptions, type StartServerOptions, type RunningServer } from './start.js';
export { startDevServer, DEV_USER_EMAIL, type DevServerOptions } from './dev.js';
export { initInstance, DEFAULT_ADMIN_EMAIL, type InitInstanceOptions, type InitResult } from './init.js';
export { assertHostAllowed, assertNoMasterKeyInEnv, assertSentryDsn, assertTlsPair, parseMasterKey, parsePublicUrl, parseSmtpInput, parseTrustedProxies, readMasterKeyFile, readSmtpCaFile, readSmtpPasswordFile, readTlsFiles } from './inputs.js';
export { inspectOutbox, type OutboxEntry, type OutboxReport } from './outbox.js';
export { backupStore, rotateMasterKey, verifyAudit, type RotateMasterKeyOptions } from './maintenance.js';
export { MaintenanceError, ServerStartupError, type MaintenanceCode, type ServerStartupCode } from './errors.js';
export { openDatabase, type DatabaseOptions, type KryptDatabase } from '../store/database.js';
export type { AuditProblem, AuditVerification } from '../services/audit-chain.js';
export type { RotationCounts } from '../services/rotation-service.js';

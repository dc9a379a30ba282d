export { createDebugLog, describeOrigin, describeSettings, describeUrl, elapsedMs, isDebugEnabled, type DebugLog } from './debug-log.js';

export { cacheKeyFromConfig, newCacheKey } from './cache-key.js';
export {
  cacheDir,
  cacheFile,
  clearCache,
  describeAge,
  readCachedEnvironment,
  sweepCopyTemps,
  writeCachedEnvironment,
  type CachedEnvironment,
} from './env-cache.js';

// The .env toolkit: read files the way dotenv does (but loudly), write every `pull` format.
export { parseEnvFile, parseSerialized, envFilePosition } from './parse.js';
export { keysWithNul, nulValueMessage } from './values.js';
export { serializeEnv, ENV_FORMATS, type EnvFormat } from './serialize.js';
export { validateKeyName, keyNameProblem, KEY_PATTERN, MAX_KEY_LENGTH } from './keys.js';

export * from './names.js';
export * from './errors.js';
export * from './coded-error.js';
export * from './api.js';
export * from './teams.js';
export * from './sessions.js';
export * from './webhooks.js';

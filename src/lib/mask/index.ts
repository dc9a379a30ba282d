export { createMasker, maskableValues, type Masker } from './masker.js';
export { createMaskStream } from './mask-stream.js';

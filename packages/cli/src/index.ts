export * from './status/index.js';
export * from './api/index.js';

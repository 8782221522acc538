export * from './status/index.js';

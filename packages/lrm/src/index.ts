export * from './errors.js';
export * from './clock.js';
export * from './digest.js';
export * from './history.js';
export * from './lrm.js';

export { buildApi, serveApi, tokenMatches, toApiError, type ApiOptions, type RouteConfig, type ServeOptions } from './app.js';
export { API_ERRORS, ApiError, type ApiErrorCode } from './errors.js';
export * from './handle.js';
export { MemoryClusterHandle, type MemoryHandleOptions } from './memory-handle.js';
export { applyResourceAction, applyNodeAction, applyNodeAttribute, applyProperty, restartPlan, type CibEdit, type RestartPlan } from './cib-actions.js';
export { createMetrics, type VigilMetrics, type TransitionOutcome } from './metrics.js';
export { resourceHealth, HEALTH_ROLES, type HealthRole, type ResourceHealth } from './routes/health.js';

export { schedule, unpack, type ScheduleOptions, type ScheduleResult } from './schedule.js';
export { graphToXml, type TransitionGraph, type GraphAction } from './graph/produce.js';
export type { SummaryLine } from './summary.js';
export type { Action, ActionSet, ActionOrdering } from './actions.js';
export { readClusterOptions, type ClusterOptions } from './options.js';
export { formatClusterStatus } from './status-text.js';
export * from './working-set.js';
export { TransitionRunner, type ActionState, type TransitionOutcome } from './graph/consume.js';

export { ClusterNode, LRM_CHANNEL, type ClusterNodeOptions, type ClusterNodeEvents, type ResourceResult } from './node.js';
export { loadClusterConfig, initCluster, parseNodesSpec, readApiToken, DEFAULT_TIMING, type ClusterConfig, type NodeEntry, type TimingConfig, type QuorumOptions, type LinkConfig } from './config.js';
export { DaemonError, DAEMON_ERROR_CODES, type DaemonErrorCode } from './errors.js';
export { processFenceDevice, PROCESS_FENCE_TYPE } from './process-fence.js';
export { ControlLoop, expectedRcOf, type ActionOutcome, type ControlDeps, type TransitionReport } from '../control/loop.js';
export { withMembership, withOpRecord, withNodeFenced, withNodeHistory, transientAttribute, type Membership, type ResourceInfo } from '../control/status.js';

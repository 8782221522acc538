export { createNode, MessagingNode } from './node.js';
export type {
  CreateNodeOptions, View, NodeRef, LinkEvent, MessageEvent, MessagingStats, LinkState, PeerState, BroadcastResult, MessagingEvents, TraceEvent,
} from './node.js';
export type { NodeConfig } from './config.js';
export { validateNodes, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_TOKEN_TIMEOUT_MS } from './config.js';
export { readAuthKeyFile, writeAuthKeyFile, generateAuthKey, MIN_KEY_BYTES, DEFAULT_KEY_BYTES } from './auth.js';
export type { AuthScheme, WriteAuthKeyOptions } from './auth.js';
export { MessagingError, ConfigError, AuthKeyError } from './errors.js';
export type { MessagingErrorCode } from './errors.js';
export { systemClock, VirtualClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { seededRandom, systemRandom } from './random.js';
export type { Random } from './random.js';
export type { Transport, LinkAddress, PacketHandler } from './transport.js';
export { UdpTransport } from './udp-transport.js';
export { MemoryNetwork, MemoryTransport, NO_FAULTS } from './memory-transport.js';
export type { NetworkFaults } from './memory-transport.js';
export { SimCluster, createSimCluster } from './sim.js';
export type { SimClusterOptions } from './sim.js';

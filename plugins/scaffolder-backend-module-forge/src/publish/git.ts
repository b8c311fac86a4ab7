// The hardened git runner is shared with the backend that serves the local repositories (forge-node).
export { git, hasBranch } from '@internal/plugin-forge-node';

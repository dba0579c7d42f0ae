export {
  Counter,
  Gauge,
  Histogram,
  type Labels,
  MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
} from './metrics.js';
export {
  createTerminalMetrics,
  type TerminalMetrics,
  type TerminalMetricsOptions,
} from './terminal-metrics.js';

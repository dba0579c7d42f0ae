export { AntiPassback, type AntiPassbackOptions, allowsPassage } from './anti-passback.js';
export {
  GATE_ALARMS,
  type Gate,
  type GateAlarm,
  type GateAlarmEvent,
  type GateDeviceState,
  type GateDirection,
  type GateOpenOptions,
  type GateState,
  type GateStatus,
  type PassageEvent,
} from './gate.js';
export {
  GateController,
  type GateControllerEventMap,
  type GateControllerOptions,
  type GateControllerStats,
  type GateOutcome,
  type GatePassage,
} from './gate-controller.js';

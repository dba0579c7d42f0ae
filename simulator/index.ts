export {
  generatePopulation,
  generateResidentIdNumber,
  type PopulationOptions,
  type ResidentIdNumberOptions,
  SYNTHETIC_REGIONS,
  type SyntheticPerson,
} from './population.js';
export { createPopulationCreditProvider, type PopulationCreditProviderOptions } from './population-credit.js';
export { createRng, type Rng } from './prng.js';
export {
  runSimulatedDay,
  type SimulatedDayOptions,
  type SimulatedDaySummary,
  type SimulatedVisit,
} from './simulated-day.js';

export * from './camera/index.js';
export * from './credit-issuer.js';
export * from './devices/gates-index.js';
export * from './devices/index.js';
export * from './devices/scanners-index.js';
export {
  type MockDocument,
  type MockPlatform,
  type MockPlatformOptions,
  type MockPlatformRequest,
  type PlatformFault,
  type PlatformFaults,
  startMockPlatform,
} from './mock-platform.js';
export * from './panel/panel-server.js';
export * from './panel/simulation.js';
export {
  generateOrganisations,
  generatePopulation,
  generateResidentIdNumber,
  generateSocialCreditCode,
  ORGANISATION_KIND_PREFIXES,
  type OrganisationKind,
  type PopulationOptions,
  type ResidentIdNumberOptions,
  type SocialCreditCodeOptions,
  SYNTHETIC_REGIONS,
  type SyntheticOrganisation,
  type SyntheticPerson,
} from './population.js';
export { createPopulationCreditProvider, type PopulationCreditProviderOptions } from './population-credit.js';
export {
  findPersonalData,
  organisationDataForms,
  type PersonalDataForm,
  type PrivacyFinding,
  type PrivacyScan,
  personalDataForms,
  scanFolderForPersonalData,
} from './privacy-scan.js';
export { createRng, type Rng } from './prng.js';
export { createPtyPair, isSocatAvailable, type PtyPair, type PtyPairOptions } from './pty.js';
export {
  freeLoopbackPort,
  isRedisSentinelAvailable,
  isRedisServerAvailable,
  type RedisCluster,
  type RedisSentinelGroup,
  type RedisServer,
  type RedisServerOptions,
  startRedisCluster,
  startRedisSentinelGroup,
  startRedisServer,
} from './redis-server.js';
export * from './scenario.js';
export {
  runSimulatedDay,
  type SimulatedDayContext,
  type SimulatedDayJournal,
  type SimulatedDayOptions,
  type SimulatedDaySummary,
  type SimulatedVisit,
  simulatedDayPeople,
} from './simulated-day.js';
export {
  type SimulatedLane,
  type SimulatedSite,
  type SimulatedSiteOptions,
  type SimulatedSiteStore,
  type SiteDescription,
  type SiteDevice,
  startSimulatedSite,
} from './simulated-site.js';
export {
  startTcpDeviceServer,
  type TcpDeviceServer,
  type TcpDeviceServerOptions,
} from './tcp-device-server.js';
export {
  startUdpDeviceServer,
  type UdpDeviceServer,
  type UdpDeviceServerOptions,
} from './udp-device-server.js';

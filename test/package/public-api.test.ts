// Pins the export list of every entry point of the package, so that a name joins (or leaves) the public
// surface only by a deliberate edit here, reviewed with CHANGELOG.md and docs/api-reference.md beside it.
// The lists are read from the entry files' explicit export lists (an entry may not `export *`), and the
// values are checked against what the module really exports at run time.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Each entry: its subpath, its source file, and its names sorted by code unit; `type` marks a type-only name. */
const ENTRIES: { subpath: string; file: string; names: string }[] = [
  {
    subpath: '.',
    file: 'sdk/index.ts',
    names: `
      type AbortOptions
      AntiPassback
      type AntiPassbackOptions
      BENEFIT_KINDS
      BP_PER_UNIT
      type BarcodeCredential
      type Benefit
      type BenefitKind
      type BreakerState
      CALENDAR_WARNING_DAYS
      type CalendarConstraint
      type CalendarCoverage
      type CalendarDocument
      type CalendarDocumentYear
      type CalendarMakeupWorkday
      type CalendarPeriod
      type CapCount
      type CapPeriod
      type CapScope
      type CircuitBreaker
      type CircuitBreakerOptions
      type Clock
      type Condition
      type Credential
      type CredentialKind
      type CredentialSource
      type CreditCodeCredential
      type CreditCodeFlagName
      CreditCodeRefusal
      type CreditCodeResolverOptions
      type CreditEntitlementName
      type CreditLookup
      type CreditMaterialAlarm
      type CreditMaterialHealth
      type CreditMaterialHealthOptions
      type CreditResolver
      type CreditStanding
      DEFAULT_MAX_STATUS_AGE_MS
      DEFAULT_RETENTION
      DISCOUNT_TARGETS
      type DayInfo
      type DayKind
      type Decision
      type DecisionContext
      type DecisionDisclosure
      type DecisionOutcome
      type DecisionReason
      type DecisionUploadPayload
      type DisclosureRecord
      type DisclosureRule
      type DiscountTarget
      type DocumentAcceptResult
      type DocumentHeader
      type DocumentKeeper
      type DocumentKeeperAcceptResult
      type DocumentKeeperEventMap
      type DocumentKeeperOptions
      type DocumentKeeperStatus
      type DocumentKeys
      type DocumentKind
      type DocumentOrigin
      type DocumentRefusal
      type DocumentSlot
      type DocumentSlotOptions
      type DocumentSyncResult
      type EvaluateInput
      GATE_ALARMS
      type Gate
      type GateAlarm
      type GateAlarmEvent
      GateController
      type GateControllerEventMap
      type GateControllerOptions
      type GateControllerStats
      type GateDeviceState
      type GateDirection
      type GateOpenOptions
      type GateOutcome
      type GatePassage
      type GateState
      type GateStatus
      type GrantedBenefit
      type HolidayAnchor
      type HolidayCalendar
      type HolidayCalendarData
      type HolidayCalendarOptions
      type HolidayYear
      type HttpPlatformEventMap
      type HttpPlatformResolver
      type HttpPlatformResolverOptions
      type IdCardCredential
      type IdCardType
      type IdNumberProblem
      type InMemoryCreditProvider
      type InMemoryCreditProviderOptions
      type InProcessSiteStateOptions
      type JournalDecisionEntry
      type JournalDecisionRecord
      type JournalEventInput
      type JournalEventRecord
      type JournalStore
      type JournalVerifyOptions
      type JournalVerifyReport
      type JsonLoggerOptions
      LIST_KINDS
      type ListKind
      type ListMembership
      type LoadStatusListOptions
      type LoadTrustListOptions
      type LogLevel
      type Logger
      type MemoryJournalOptions
      ORGANISATION_ENTRIES
      type OnSiteStateDown
      type OrganisationCredential
      type OrganisationCredentialProblem
      type OrganisationEntry
      type OutboxItem
      type OverrideInput
      type OverrideOutcome
      type OverrideRecord
      PROVISIONAL_RULES_VERSION
      type PackSetting
      type PassageEvent
      type PlatformDownload
      type PlatformSync
      type PlatformSyncEventMap
      type PlatformSyncOptions
      type PlatformSyncOutcome
      type PlatformSyncPart
      type PlatformSyncPartResult
      PlatformSyncRefusal
      type PlatformSyncSource
      type PlatformSyncStatus
      type PlatformSyncSummary
      type PlatformTlsOptions
      type PlatformTransportKind
      type PolicyDocument
      type PolicyPack
      type PolicyRule
      type PresentOptions
      type PseudonymKind
      type Pseudonymizer
      type PseudonymizerOptions
      QINGZHOU_PROGRAMME
      QINGZHOU_SCENE_PROGRAMMES
      QINGZHOU_SCENIC_SITES
      ReasonCode
      type RedisNodeAddress
      type RedisSiteStateOptions
      type ReplayCache
      type ReplayCacheOptions
      type ResponseByteLimits
      type ResponseKind
      type RetentionPolicy
      type RetentionRecordType
      type RetentionScheduleOptions
      type RetryPolicyOptions
      SCENE_IDS
      SCENE_PROGRAMME
      SDK_VERSION
      SQLITE_JOURNAL_SCHEMA_VERSION
      SUBJECT_TYPES
      type SceneId
      type SignedDocument
      SignedDocumentProblem
      type SignedStatusList
      type SignedTrustList
      type SiteCallEvent
      type SiteCap
      type SiteCommitRequest
      type SiteCommitResult
      type SiteDoubleGrant
      SiteLink
      type SiteLinkEventMap
      type SiteLinkOptions
      type SiteLinkStatus
      type SiteOperation
      type SitePresence
      type SiteReserveRequest
      type SiteReserveResult
      type SiteState
      type SiteStateKind
      type SiteStoreInfo
      type SiteSubjectQuery
      type SiteUsage
      type SnapshotApplyOptions
      type SnapshotApplyProgress
      type SnapshotApplyResult
      type SnapshotInfo
      type SnapshotLookupResult
      type SnapshotPublicKey
      type SnapshotStore
      type SnapshotStoreOptions
      type SnapshotSyncResult
      type SocialCreditCodeProblem
      type SqliteJournal
      type SqliteJournalOptions
      type SqliteSiteStateOptions
      type StackGroup
      type StandingSource
      type StatusList
      StatusListProblem
      type StatusListSyncResult
      type StatutoryHoliday
      type StatutoryRuleEdition
      type Subject
      type SubjectType
      TIER_CODES
      TRUST_LIST_WARNING_MS
      type Terminal
      type TerminalAlarm
      type TerminalCloseOptions
      type TerminalDiagnostics
      type TerminalDocumentKind
      type TerminalEventMap
      type TerminalOptions
      type TierBand
      type TierCode
      type TierScheme
      type TransferOptions
      type TrustKeyAlg
      type TrustKeyUse
      type TrustList
      TrustListProblem
      type TrustListSyncResult
      type TrustedKey
      type UploadPlatform
      type UploadRecordKind
      type UploadResult
      type UploadTransferOptions
      type Uploader
      type UploaderEventMap
      type UploaderFlushResult
      type UploaderOptions
      type UploaderState
      type UploaderStats
      type UsageCounts
      type UsageRecord
      type VerifiedCreditCode
      type VerifiedDocument
      type VerifyCreditCodeOptions
      type VerifyCreditCodeResult
      XinyiError
      XinyiErrorCode
      type XinyiErrorOptions
      applyPayRatio
      calendarCoverage
      chinaHolidayCalendar
      combineDocumentKeys
      combinePayBp
      createCircuitBreaker
      createCreditCodeResolver
      createDocumentKeeper
      createDocumentSlot
      createHolidayCalendar
      createHttpPlatformResolver
      createInMemoryCreditProvider
      createInProcessSiteState
      createJsonLogger
      createMemoryJournal
      createPlatformSync
      createPseudonymizer
      createReplayCache
      createSnapshotResolver
      createSqliteJournal
      createTerminal
      createUploader
      creditMaterialHealth
      defaultHolidayCalendar
      describeBenefit
      describeOrganisationCredentialProblem
      describeSocialCreditCodeProblem
      evaluate
      explainIdNumberProblem
      explainSocialCreditCodeProblem
      formatFen
      formatPayBp
      formatYuanSpoken
      isSceneId
      isTierCode
      isValidResidentIdNumber
      isValidSocialCreditCode
      isXinyiError
      loadPolicyPack
      loadStatusList
      loadTrustList
      maskIdNumber
      maskName
      maskSocialCreditCode
      normalizeIdNumber
      normalizeSocialCreditCode
      openRedisSiteState
      openSnapshotStore
      openSqliteSiteState
      pinnedDocumentKeys
      qingzhouPolicyPack
      readOrganisationCode
      resolveRetention
      shandongTierScheme
      shanghaiDate
      silentLogger
      spkiSha256
      startRetentionSchedule
      subjectFromDocumentNumber
      subjectFromIdNumber
      subjectFromMemberCode
      subjectFromSocialCreditCode
      subjectTypeOf
      systemClock
      tierForScore
      tierRank
      unknownStanding
      verifyCreditCode
      verifyDocument
      verifySqliteJournal
    `,
  },
  {
    subpath: './adapters',
    file: 'adapters/index.ts',
    names: `
      AA_DEFAULT_GATE_ADDRESS
      AA_DEFAULT_HOST_ADDRESS
      AA_GATE_SERIAL_BAUD_RATE
      AA_GATE_TCP_PORT
      AA_GATE_UDP_PORT
      type AaAddressing
      type AaCommand
      type AaCommandAction
      AaGateDriver
      type AaGateDriverOptions
      type AaGateDriverStats
      CARD_TEXT_BYTES
      type CameraFrame
      CameraScanner
      type CameraScannerEventMap
      type CameraScannerOptions
      type CameraScannerState
      type CameraScannerStats
      type CardText
      type CardTextCommonFields
      type CardTextDerived
      type CardTextField
      type CardTextFields
      type CardTextIssue
      type CardTextIssueCode
      DECODED_PHOTO_HEIGHT_PX
      DECODED_PHOTO_WIDTH_PX
      DEFAULT_CREDIT_CODE_PREFIXES
      DEFAULT_FLAP_CODES
      DEFAULT_FLAP_DIRECTIONS
      DEFAULT_SCAN_RATE_LIMIT
      FLAP_BAUD_RATE
      FfmpegFrameSource
      type FfmpegFrameSourceEventMap
      type FfmpegFrameSourceOptions
      type FfmpegFrameSourceState
      type FfmpegFrameSourceStats
      type FlapChecksumRule
      type FlapCodeTable
      type FlapDirections
      FlapGateDriver
      type FlapGateDriverOptions
      type FlapGateDriverStats
      type FlapReply
      type FlapSide
      type FlapStateCode
      type ForeignPermanent2017CardFields
      type ForeignPermanent2017CardText
      type ForeignPermanent2023CardFields
      type ForeignPermanent2023CardText
      type FrameDecoder
      type FrameDecoderOptions
      GateDriverBase
      type GateDriverOptions
      type Gender
      HID_POS_SCANNER_USAGE
      HID_POS_USAGE_PAGE
      HONEYWELL_HID_POS_MODE_FEATURE_REPORT
      type HidDeviceHandle
      type HidDeviceInfo
      HidPosDecoder
      type HidPosDecoderOptions
      type HidPosLayout
      type HidPosOutput
      HidScanner
      type HidScannerOptions
      type HkMacaoTaiwanCardFields
      type HkMacaoTaiwanCardText
      type IdCardPhotoOptions
      type IdCardReadEvent
      IdCardReader
      type IdCardReaderEventMap
      type IdCardReaderHealth
      type IdCardReaderOptions
      type IdCardReaderState
      type IdCardReaderStats
      type IdCardReaderTimeouts
      KeyboardWedgeDecoder
      type KeyboardWedgeDecoderOptions
      type KeyboardWedgeOutput
      type KeyboardWedgeRejection
      type MemoryLink
      type MemoryLinkOptions
      ModbusRelayGateDriver
      type ModbusRelayGateOptions
      type ModbusRelayTcpOptions
      type ModbusRequest
      type Nation
      type NativeModuleName
      type NodeHidModule
      type ParseCardTextOptions
      type ReconnectPolicy
      type ResidentCardFields
      type ResidentCardText
      SAM_BAUD_RATE_PARA
      SAM_DEFAULT_BAUD_RATE
      SAM_USB_PIPES
      SYMBOLOGIES
      type SamBaudRate
      SamCommand
      type SamCommandCode
      type SamCommandName
      type SamDecoderOptions
      SamFrameDecoder
      type SamIdParts
      type SamReadFormat
      type SamResponse
      SamStatus
      type SamStatusInfo
      type SamStatusName
      type SamUsbPipes
      type Scan
      type ScanDecoder
      type ScanEvent
      type ScanRateLimit
      type ScanRejectReason
      type ScanSource
      type ScanTextEncoding
      type ScannerCommonOptions
      type ScannerEventMap
      type ScannerState
      type ScannerStats
      type SerialParity
      type SerialPortInfo
      SerialScanner
      SerialScannerDecoder
      type SerialScannerDecoderOptions
      type SerialScannerOptions
      type SerialScannerOutput
      type SerialSuffix
      SerialTransport
      type SerialTransportOptions
      type Symbology
      TcpTransport
      type TcpTransportOptions
      type Transport
      type TransportCloseReason
      type TransportEventMap
      UdpTransport
      type UdpTransportOptions
      type UsbDeviceHandle
      type UsbDeviceInfo
      type UsbEndpointInfo
      type UsbInTransferResult
      type UsbInterfaceInfo
      type UsbModule
      type UsbOutTransferResult
      UsbTransport
      type UsbTransportOptions
      type WedgeKeystroke
      type WedgeRejectReason
      type WedgeTerminator
      type WltDecoder
      type ZxingBinarizer
      type ZxingLibraryDecoderOptions
      type ZxingWasmDecoderOptions
      classifyScan
      createMemoryLink
      createZxingLibraryDecoder
      createZxingWasmDecoder
      decodeIdCardPhoto
      describeSamStatus
      detectCardType
      encodeSamCommand
      findSamInterface
      hidPosSetupFeatureReport
      isWedgeRejection
      listSerialPorts
      listUsbDevices
      loadNativeModule
      nationName
      parseCardText
      toIdCardCredential
    `,
  },
  {
    subpath: './simulator',
    file: 'simulator/index.ts',
    names: `
      CAMERA_FRAME_VARIANTS
      CODE_FRAME_VARIANTS
      type CameraCorpusSpec
      type CameraFrameSpec
      type CameraFrameVariant
      type CodeDevice
      type CreditIssuer
      type CreditIssuerOptions
      type DecisionLogEntry
      type FaultScope
      type FaultState
      type FaultTarget
      type GateView
      type GeneratedCameraFrame
      type GeneratedCodeKind
      InProcessGate
      type IssueOptions
      type LaneView
      type MockDocument
      type MockPlatform
      type MockPlatformOptions
      type MockPlatformRequest
      ORGANISATION_KIND_PREFIXES
      type OrganisationKind
      PASSAGE_BEHAVIOURS
      type PanelServer
      type PanelServerOptions
      type PassageBehaviour
      type PersonView
      type PersonalDataForm
      type PlaceCardOptions
      type PlatformFault
      type PlatformFaults
      type PlayScenarioOptions
      type PopulationCreditProviderOptions
      type PopulationOptions
      type PrivacyFinding
      type PrivacyScan
      type PtyPair
      type PtyPairOptions
      type RedisCluster
      type RedisSentinelGroup
      type RedisServer
      type RedisServerOptions
      type ResidentIdNumberOptions
      type Rng
      SIMULATION_DEVICES
      SIMULATION_FAULTS
      SYNTHETIC_REGIONS
      type SamProcessingDelaysMs
      type ScannerFaultScope
      type Scenario
      type ScenarioEvent
      type ScenarioExpectation
      type ScenarioPerson
      type ScenarioProgress
      type ScenarioReport
      type ScenarioStep
      type ShownCode
      type SimulatedDayContext
      type SimulatedDayJournal
      type SimulatedDayOptions
      type SimulatedDaySummary
      type SimulatedDevice
      type SimulatedLane
      type SimulatedSite
      type SimulatedSiteOptions
      type SimulatedSiteStore
      type SimulatedVisit
      Simulation
      type SimulationEventMap
      type SimulationFault
      type SimulationLane
      type SimulationLaneStarter
      type SimulationOptions
      type SimulationStatus
      type Simulator
      type SimulatorDeviceKind
      type SimulatorDeviceKinds
      type SimulatorOptions
      type SiteDescription
      type SiteDevice
      type SocialCreditCodeOptions
      type SyntheticOrganisation
      type SyntheticPerson
      type TcpDeviceServer
      type TcpDeviceServerOptions
      type UdpDeviceServer
      type UdpDeviceServerOptions
      VirtualAaGateBoard
      type VirtualAaGateBoardEventMap
      type VirtualAaGateBoardOptions
      type VirtualAaGateBoardStats
      type VirtualAaGateFault
      type VirtualAaGateFaultKind
      type VirtualAaGateFaultScope
      type VirtualAaGateFrameKind
      type VirtualCard
      type VirtualCardSource
      VirtualFlapGateBoard
      type VirtualFlapGateBoardEventMap
      type VirtualFlapGateBoardOptions
      type VirtualFlapGateFault
      type VirtualFlapGateFaultKind
      type VirtualFlapGateStats
      VirtualGateCore
      type VirtualGateCoreEventMap
      type VirtualGatePhase
      type VirtualGateSnapshot
      type VirtualGateTiming
      type VirtualHidDevice
      type VirtualHidDeviceInfo
      type VirtualHidScanOptions
      VirtualHidScanner
      type VirtualHidScannerFault
      type VirtualHidScannerFaultKind
      type VirtualHidScannerMode
      type VirtualHidScannerOptions
      type VirtualHidScannerStats
      VirtualIdCardReader
      type VirtualIdCardReaderEventMap
      type VirtualIdCardReaderFault
      type VirtualIdCardReaderFaultKind
      type VirtualIdCardReaderOptions
      type VirtualIdCardReaderStats
      VirtualModbusRelayBoard
      type VirtualModbusRelayBoardEventMap
      type VirtualModbusRelayBoardOptions
      type VirtualModbusRelayFault
      type VirtualModbusRelayStats
      type VirtualPhone
      type VirtualReaderCommandName
      type VirtualSerialScanOptions
      VirtualSerialScanner
      type VirtualSerialScannerEventMap
      type VirtualSerialScannerFault
      type VirtualSerialScannerFaultKind
      type VirtualSerialScannerOptions
      type VirtualSerialScannerStats
      type VirtualSerialSuffix
      VirtualUsbSamBus
      type VirtualUsbSamOptions
      type VirtualUsbSamPipeLog
      cardFieldsForPerson
      createCreditIssuer
      createPopulationCreditProvider
      createPtyPair
      createRng
      createSimulator
      findPersonalData
      formatScenarioStep
      generateCameraCorpus
      generateCameraFrame
      generateOrganisations
      generatePopulation
      generateResidentIdNumber
      generateSocialCreditCode
      isRedisSentinelAvailable
      isRedisServerAvailable
      isSocatAvailable
      loadScenario
      parseScenario
      playScenario
      runSimulatedDay
      scanFolderForPersonalData
      simulatedDayPeople
      startMockPlatform
      startPanelServer
      startRedisCluster
      startRedisSentinelGroup
      startRedisServer
      startSimulatedSite
      startTcpDeviceServer
      startUdpDeviceServer
      syntheticCreditCodeText
    `,
  },
  {
    subpath: './platform',
    file: 'platform/index.ts',
    names: `
      ANSWER_SIGNATURE_HEADER
      ANSWER_TIME_WINDOW_MS
      type AnswerSignature
      type BuildDeltaOptions
      type BuildSnapshotOptions
      CALENDAR_DOCUMENT_FORMAT
      CALENDAR_DOCUMENT_MAX_BYTES
      CHAIN_GENESIS
      CREDENTIAL_LENGTH
      CREDIT_CODE_PREFIX
      CREDIT_CODE_TEXT_LENGTH
      CREDIT_CODE_VERSION
      type CalendarDocumentContent
      ChainChecker
      type ChainHead
      type ChainKey
      type ChainKind
      type ChainLink
      type ChainProblem
      type CredentialFields
      CreditCodeAlg
      CreditCodeFlag
      CreditEntitlement
      DEFAULT_SIGNATURE_WINDOW_MS
      type DecodeResult
      type DecodedCreditCode
      type DocumentHeader
      type DocumentKeys
      type DocumentKind
      type IssuerVerifier
      LOOKUP_ANSWER_CONTEXT
      type LookupQuestion
      MAX_STATUS_INDEX
      type NonceCache
      PLATFORM_PATHS
      POLICY_DOCUMENT_FORMAT
      POLICY_DOCUMENT_MAX_BYTES
      PRESENTATION_LENGTH
      PlatformAnswerProblem
      type PolicyDocumentContent
      type PublicKeyInput
      SIGNATURE_HEADERS
      SNAPSHOT_FORMAT_VERSION
      SNAPSHOT_FORMAT_VERSIONS
      SNAPSHOT_MAX_DOMAINS
      SNAPSHOT_MAX_LISTS
      SNAPSHOT_RECORD_BYTES
      STATUS_LIST_FORMAT
      STATUS_LIST_FUTURE_SKEW_MS
      type SignLookupAnswerOptions
      type SignRequestInput
      type SignatureHeaders
      type SignatureProblem
      type SignedDocument
      SignedDocumentProblem
      type SnapshotDeltaInput
      type SnapshotHeader
      type SnapshotKind
      type SnapshotPrivateKey
      type SnapshotRecord
      type SnapshotRefusalReason
      type SnapshotVerification
      type StatusListContent
      type StatusListInput
      TRUST_LIST_FORMAT
      type TrustListContent
      type TrustListKeyEntry
      type VerifiedDocument
      type VerifyLookupAnswerInput
      type VerifyRequestInput
      type VerifyResult
      assertSnapshotVerified
      bodySha256Hex
      buildDelta
      buildSnapshot
      calendarDocumentKind
      canonicalHeaderLines
      canonicalJson
      canonicalRequestString
      chainLinkHash
      combineDocumentKeys
      compressP256
      createNonceCache
      decodeCreditCode
      decodeSnapshotRecord
      ed25519Verifier
      encodeCredential
      es256Verifier
      keyIdOf
      lookupAnswerMessage
      parseAnswerSignature
      parseCalendarDocument
      parsePolicyDocument
      parseSnapshotHeader
      pinnedDocumentKeys
      policyDocumentKind
      presentCredential
      pseudonymBytes
      signChainHead
      signDocument
      signLookupAnswer
      signRequest
      signStatusList
      signTrustList
      spkiDerOf
      statusListSignerTrusted
      toPublicKey
      verifyChainHeadMac
      verifyDocument
      verifyLookupAnswer
      verifyRequestSignature
      verifySnapshot
    `,
  },
];

interface ExportedName {
  name: string;
  typeOnly: boolean;
}

/** The names an entry file exports, read from its syntax; an `export *` or a local declaration fails. */
function exportsOf(file: string): ExportedName[] {
  const source = ts.createSourceFile(file, readFileSync(resolve(root, file), 'utf8'), ts.ScriptTarget.ES2022);
  const names: ExportedName[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) continue;
    if (
      !ts.isExportDeclaration(statement) ||
      !statement.exportClause ||
      !ts.isNamedExports(statement.exportClause)
    ) {
      throw new Error(
        `${file}: only explicit re-export lists belong in an entry file, found: ${statement.getText(source)}`,
      );
    }
    for (const element of statement.exportClause.elements) {
      names.push({ name: element.name.text, typeOnly: statement.isTypeOnly || element.isTypeOnly });
    }
  }
  return names;
}

const byName = (a: string, b: string) => {
  const [x, y] = [a.replace(/^type /, ''), b.replace(/^type /, '')];
  return x < y ? -1 : x > y ? 1 : 0;
};
const pinned = (names: string) => names.trim().split(/\n\s*/);

describe('the public entry points', () => {
  it("are the package's exports, each built by tsup", () => {
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(manifest.exports).sort()).toEqual(
      [...ENTRIES.map((e) => e.subpath), './package.json'].sort(),
    );
    const tsup = readFileSync(resolve(root, 'tsup.config.ts'), 'utf8');
    for (const { file } of ENTRIES) expect(tsup).toContain(`'${file}'`);
  });

  for (const { subpath, file, names } of ENTRIES) {
    describe(`xinyi-terminal${subpath === '.' ? '' : subpath.slice(1)} (${file})`, () => {
      it('exports exactly the pinned names, sorted here so that a change is a deliberate edit', () => {
        const list = pinned(names);
        expect([...list].sort(byName), 'the pinned list is kept sorted').toEqual(list);
        const actual = exportsOf(file)
          .map(({ name, typeOnly }) => (typeOnly ? `type ${name}` : name))
          .sort(byName);
        expect(actual).toEqual(list);
      });

      it('has at run time exactly the pinned values', async () => {
        const module = (await import(resolve(root, file))) as Record<string, unknown>;
        const values = pinned(names).filter((n) => !n.startsWith('type '));
        expect(Object.keys(module).sort(byName)).toEqual(values);
        for (const name of values) expect(module[name], name).toBeDefined();
        // Transforming a whole entry's source tree takes seconds, more on a busy machine.
      }, 120_000);
    });
  }
});

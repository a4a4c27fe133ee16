// The fleet consumer's public surface (SPEC §7, §8): start one, read its store, report, measure.

export { startConsumer, checkOptions, defaultClientId, type ConsumeOptions, type RunningConsumer } from './run';
export { Consumer, type FleetEvent, type Counters } from './consumer';
export { Ingest, CONSUMED_KINDS, type Handled } from './ingest';
export { openStore, isPostgresUrl, type FleetStore, type Store, type DeviceState } from './store';
export { SqliteStore } from './store-sqlite';
export { Registry } from './registry';
export { ackPayload } from './acks';
export { denialReport, renderReport, deviceToday, type DenialReport } from './report';
export { snapshot, renderSnapshot, LiveView } from './view';
export { measureVerify, type VerifyMeasure } from './measure';
export { GenTerminal } from './journal-gen';
export { useNativeCrypto } from './native';

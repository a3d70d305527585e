/**
 * puretls/testing: record our side of a TLS conversation against a real
 * peer once, with deterministic randomness and clock, and replay it byte for
 * byte in unit tests (docs/testing.md).
 */
export { TranscriptRecorder } from './recorder.js';
export { replayTranscript, TranscriptMismatchError, TranscriptRun, type ConnectionFactory, type ReplayReport, type TranscriptSetup } from './replay.js';
export { TranscriptDriver, applyAction } from './driver.js';
export {
  TRANSCRIPT_FORMAT,
  TranscriptFormatError,
  formatTranscript,
  parseTranscript,
  headerField,
  dataToText,
  type Transcript,
  type TranscriptAction,
  type TranscriptConnection,
  type TranscriptEvent,
  type TranscriptHeader,
  type FinalState,
} from './transcript.js';
export { hexdumpLines, parseHexdumpLine } from './hexdump.js';
export { testProvider, deterministicRandom } from '../crypto/random.js';

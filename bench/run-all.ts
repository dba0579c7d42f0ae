// `npm run bench` — figures and ratios, never assertions.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { runCalendarBench } from './calendar.bench.js';
import { runCameraDecoderBench } from './camera-decoders.bench.js';
import { runCreditCodeBench } from './credit-code.bench.js';
import { runEvaluateBench } from './evaluate.bench.js';
import { runGateBench } from './gate.bench.js';
import { runIdCardReaderBench } from './id-card-reader.bench.js';
import { runJournalBench } from './journal.bench.js';
import { runPlatformBench } from './platform.bench.js';
import { runPresentBench } from './present.bench.js';
import { runSamDecoderBench } from './sam-decoder.bench.js';
import { runUploadBench } from './upload.bench.js';

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n`);
runEvaluateBench();
runCalendarBench();
await runPresentBench();
await runPlatformBench();
await runCreditCodeBench();
runSamDecoderBench();
await runIdCardReaderBench();
await runCameraDecoderBench();
await runJournalBench();
await runUploadBench();
await runGateBench();
// Its own process, so that its peak RSS is its own and not the decoders' loaded before it.
execFileSync(
  process.execPath,
  ['--import', 'tsx', new URL('./snapshot.bench.ts', import.meta.url).pathname],
  {
    stdio: 'inherit',
  },
);

// What the mock platform receives: each request body searched for personal data as it arrives, each
// upload item's send noted by its key (for the duplicate check), then the body let go, so the soak's
// memory stays flat however long it runs.
import { findPersonalData } from '../../simulator/privacy-scan.js';
import { bump } from './helpers.js';
import type { SoakRun } from './run-state.js';

/** Takes in the requests the platform has received since the last call. */
export function harvestPlatformRequests(run: SoakRun): void {
  const { platform } = run.site;
  const { sendsByKey, affectedByFault } = run.platform;
  const privacy = run.privacy;
  const now = Date.now();
  for (const request of platform.requests.splice(0)) {
    privacy.requestsScanned++;
    if (request.fault !== undefined) bump(affectedByFault, request.fault);
    if (request.body === undefined) continue;
    const bytes = Buffer.from(JSON.stringify(request.body), 'utf8');
    privacy.bytesScanned += bytes.length;
    privacy.found.push(...findPersonalData(bytes, `platform request ${request.path}`, run.personalData));
    if (request.path === '/v1/decisions' || request.path === '/v1/disclosures') {
      const items = (request.body as { items?: unknown[] }).items ?? [];
      for (const item of items) {
        const key = (item as { key?: unknown }).key;
        if (typeof key !== 'string') continue;
        const list = sendsByKey.get(key) ?? [];
        list.push({ at: now, record: request });
        sendsByKey.set(key, list);
      }
    }
    delete request.body;
  }
  platform.uploads.decisions.splice(0);
  platform.uploads.disclosures.splice(0);
}

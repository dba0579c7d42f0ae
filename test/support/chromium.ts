// Debian's Chromium for the browser tests (driven by playwright-core, which never downloads a browser).
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** True when Debian's chromium is installed; with XINYI_REQUIRE_CHROMIUM=1 (CI) its absence throws. */
export function isChromiumAvailable(): boolean {
  const present = existsSync(CHROMIUM);
  if (!present && process.env.XINYI_REQUIRE_CHROMIUM === '1') {
    throw new Error(`XINYI_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
  }
  return present;
}

/** Chromium flags that keep it off the network: only 127.0.0.1 resolves. */
export const OFFLINE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

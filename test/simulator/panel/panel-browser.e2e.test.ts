// The control panel as a tester sees it: Debian's Chromium, driven by playwright-core, against a
// simulated site (PTYs, mock platform) and the in-process gate lane. Screenshots go to
// test-artifacts/panel/ (printed below) so CI can keep them.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateLane } from '../../../cli/site-command.js';
import { type PanelServer, startPanelServer } from '../../../simulator/panel/panel-server.js';
import { Simulation } from '../../../simulator/panel/simulation.js';
import { isSocatAvailable } from '../../../simulator/pty.js';
import { CHROMIUM, isChromiumAvailable, OFFLINE_ARGS } from '../../support/chromium.js';

const chromiumPresent = isChromiumAvailable();
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

/**
 * The page's global scope, inside functions Playwright runs in the page: the project's TypeScript has
 * no DOM library, and the panel's content policy forbids string evaluation, so predicates are functions
 * (serialised: they can use nothing from this module).
 */
type PageScope = { document: { querySelector(s: string): { textContent: string | null } | null } };

const ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts/panel');

describe.skipIf(!chromiumPresent || !socat)(
  `the control panel in Chromium (${chromiumPresent ? 'found' : 'skipped: no'} ${CHROMIUM}${socat ? '' : ', skipped: no socat'})`,
  () => {
    let dir: string;
    let simulation: Simulation;
    let panel: PanelServer;
    let browser: Browser;
    let page: Page;
    const requests: string[] = [];
    let trustworthy: number[];

    const shot = async (name: string) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'xinyi-panel-'));
      mkdirSync(ARTIFACTS, { recursive: true });
      console.log(`panel screenshots: ${ARTIFACTS}`);
      // A slow passage, so the open barrier stays on screen long enough to be seen.
      simulation = await Simulation.start({
        lane: startGateLane,
        dir,
        gateTiming: { motionMs: 150, passDelayMs: 1_500 },
      });
      await simulation.whenReady();
      panel = await startPanelServer({ simulation, port: 0 });
      trustworthy = simulation
        .people()
        .filter((p) => p.trustworthy && p.hasCode)
        .map((p) => p.index);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: OFFLINE_ARGS });
      page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(panel.url);
      await page.waitForSelector('#connection[data-state="live"]');
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await panel?.close();
      await simulation?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('shows the population with masked numbers only, from this server only', async () => {
      const rows = page.locator('#people tbody tr');
      expect(await rows.count()).toBe(simulation.people().length);
      await page.check('#only-trustworthy');
      expect(await rows.count()).toBe(simulation.people().filter((p) => p.trustworthy).length);
      const html = await page.content();
      for (const person of simulation.site.people) {
        expect(html).not.toContain(person.idNumber);
        expect(html).not.toContain(person.name);
      }
      expect(requests.every((url) => url.startsWith(panel.url))).toBe(true);
      await shot('01-panel');
    });

    it('a 守信 person taps their card: the gate opens and the decision appears', async () => {
      const index = trustworthy[0]!;
      const person = simulation.people()[index]!;
      await page.click(`button[data-action="tap"][data-person="${index}"]`);
      await page.waitForSelector('#gate[data-state="open"]');
      const row = page.locator('#log tbody tr[data-gate="opened"][data-source="platform"]').first();
      await row.waitFor();
      await shot('02-gate-open');
      const text = await row.textContent();
      expect(text).toContain(person.masked);
      expect(text).toContain('scenic-gate');
      expect(text).toContain('免费入园');
      expect(text).toContain('granted');
      await page.waitForFunction(
        () =>
          Number((globalThis as unknown as PageScope).document.querySelector('#count-entry')?.textContent) >=
          1,
      );
      await page.waitForSelector('#gate[data-state="closed"]');
    });

    it('with the platform switched off, the next tap is decided from the snapshot', async () => {
      const faultApplied = page.waitForResponse((r) => r.url().endsWith('/api/fault') && r.ok());
      await page.check('input[data-fault="platform-down"]');
      await faultApplied;
      expect(simulation.status().faults['platform-down']).toBe(true);
      await page.click(`button[data-action="tap"][data-person="${trustworthy[1]}"]`);
      const row = page.locator('#log tbody tr[data-source="snapshot"]').first();
      await row.waitFor();
      expect(await row.getAttribute('data-gate')).toBe('opened');
      expect(await row.textContent()).toContain(simulation.people()[trustworthy[1]!]!.masked);
      await page.waitForSelector('#gate[data-state="open"]');
      await shot('03-platform-down-snapshot');
      const restored = page.waitForResponse((r) => r.url().endsWith('/api/fault') && r.ok());
      await page.uncheck('input[data-fault="platform-down"]');
      await restored;
    });

    it('a credit code shown to the camera is drawn, decoded from a camera frame, and decided', async () => {
      await page.click(`button[data-action="code"][data-via="camera"][data-person="${trustworthy[2]}"]`);
      await page.locator('#log tbody tr[data-source="credit-code"]').first().waitFor();
      // Both images loaded: the QR as drawn on the phone, and the 1280×720 frame the lane's camera decoded.
      await page.waitForFunction(() =>
        ['#qr', '#camera'].every((id) => {
          const img = (globalThis as unknown as PageScope).document.querySelector(id) as unknown as {
            hidden: boolean;
            naturalWidth: number;
          };
          return !img.hidden && img.naturalWidth > 0;
        }),
      );
      const width = await page
        .locator('#camera')
        .evaluate((img: unknown) => (img as { naturalWidth: number }).naturalWidth);
      expect(width).toBe(1280);
      await shot('04-credit-code-camera');
    });

    it('on the 国庆节 holiday clock the gate stays shut with the holiday reason', async () => {
      await page.click('button[data-clock="2026-10-03"]');
      await page.waitForSelector('#clock[data-override="true"]');
      await simulation.whenReady();
      await page.waitForSelector('#health[data-state="ok"]');
      await page.click(`button[data-action="tap"][data-person="${trustworthy[3]}"]`);
      const row = page.locator('#log tbody tr[data-gate="shut"]').first();
      await row.waitFor();
      expect(await row.textContent()).toContain('HOLIDAY_EXCLUDED');
      expect(await page.locator('#clock').textContent()).toContain('2026-10-03');
      await shot('05-holiday-clock');
    });
  },
);

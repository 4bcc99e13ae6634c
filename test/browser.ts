/**
 * Real Chromium for browser tests: Debian's `chromium` package driven by playwright-core (no
 * browser download). Playwright gives every launch a fresh profile (user-data-dir) in a temporary
 * folder and removes it when the browser closes; it refuses a `--user-data-dir` of our own for
 * launch(), which is what keeps one browser with several isolated contexts possible.
 */
import fs from 'node:fs'
import path from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'

export const CHROMIUM = process.env['BRISK_TEST_CHROMIUM'] || '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
]

/** Why browser tests cannot run here, or undefined when they can. CI installs the package (.ci/run). */
export function chromiumMissing(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined
  return `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the browser tests`
}

/** Launches headless Chromium; the caller closes it (which removes its profile). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 })
}

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 900 },
} as const

/** Where screenshots go: test-output/ (ignored by git), kept after the run for a human to look at. */
export const SCREENSHOT_DIR = path.join(import.meta.dirname, '..', 'test-output', 'screenshots')

/**
 * Full-page screenshots of what `page` shows, at phone and desktop width: `<name>-phone.png` and
 * `<name>-desktop.png`. The page is left at the width it had.
 */
export async function screenshotBothWidths(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const before = page.viewportSize()
  await atRest(page)
  for (const [width, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true })
  }
  if (before) await page.setViewportSize(before)
}

/** The README's screenshots (docs/screenshots/), rewritten only when asked: they are committed. */
export const UPDATE_README_SCREENSHOTS = process.env['BRISK_UPDATE_README_SCREENSHOTS'] === '1'
const README_SCREENSHOT_DIR = path.join(import.meta.dirname, '..', 'docs', 'screenshots')

/** What the first screen of `page` shows at `width`, as docs/screenshots/<name>.png (when asked to update them). */
export async function readmeScreenshot(page: Page, name: string, width: keyof typeof VIEWPORTS): Promise<void> {
  if (!UPDATE_README_SCREENSHOTS) return
  fs.mkdirSync(README_SCREENSHOT_DIR, { recursive: true })
  const before = page.viewportSize()
  await atRest(page)
  await page.setViewportSize(VIEWPORTS[width])
  await page.screenshot({ path: path.join(README_SCREENSHOT_DIR, `${name}.png`) })
  if (before) await page.setViewportSize(before)
}

/**
 * Scrolled to the top with nothing focused: a full-page capture of a scrolled page draws the
 * sticky header part-way down, and a focused field its focus ring. (Playwright's evaluate runs
 * even where the page's own scripts are disabled.)
 */
async function atRest(page: Page): Promise<void> {
  await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)')
}

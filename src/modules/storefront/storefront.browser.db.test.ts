/**
 * The shop in real Chromium, against the real app on a loopback port: what a shopper clicks, with
 * and without JavaScript. One database (PostgreSQL when the run has one, else PGlite): the pages
 * are the same on both, and the inject tests already cover both.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test, type TestContext } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { BriskApp } from '../../app.ts'
import type { Db } from '../../infra/db/database.ts'
import { chromiumMissing, launchChromium, readmeScreenshot, screenshotBothWidths, VIEWPORTS } from '../../../test/browser.ts'
import { databaseKinds, openTestDb } from '../../../test/db.ts'
import { demoShopApp } from './storefront.test-support.ts'

const kind = databaseKinds().at(-1)!
const ADDRESS = { line1: '1 Market Street', postalCode: '10115', city: 'Berlin' }
const APPROVED = '4242 4242 4242 4242'
const DECLINED = '4000 0000 0000 0002'

describe(`storefront in Chromium [${kind}]`, () => {
  const missing = chromiumMissing()
  let db: Db | undefined
  let app: BriskApp | undefined
  let browser: Browser | undefined
  let base = ''

  before(async () => {
    if (missing) return
    db = await openTestDb(kind)
    app = await demoShopApp(db)
    base = await app.http.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await app?.close()
    await db?.close()
  })

  /** A fresh visitor (own cookies); a script error on any page fails the test. */
  async function visitor(t: TestContext, options: { javaScriptEnabled: boolean }): Promise<Page> {
    const context: BrowserContext = await browser!.newContext({ baseURL: base, viewport: VIEWPORTS.desktop, ...options })
    context.setDefaultTimeout(15_000)
    t.after(() => context.close())
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    t.after(() => assert.deepEqual(errors, [], 'no script errors'))
    return page
  }

  type Snap = (name: string) => Promise<void>
  const noSnap: Snap = async () => {}
  /** The README's two screenshots: which page, at which width. */
  const README_SHOTS: Record<string, [string, keyof typeof VIEWPORTS]> = {
    '02-category': ['storefront-category-desktop', 'desktop'],
    '03-product': ['storefront-product-phone', 'phone'],
  }
  /** Screenshots of every page at phone and desktop width (test-output/), and the README's. */
  const snapper =
    (page: Page): Snap =>
    async (name) => {
      await screenshotBothWidths(page, name)
      const readme = README_SHOTS[name]
      if (readme) await readmeScreenshot(page, ...readme)
    }

  const counts = async () => {
    const orders = await db!.primary.selectFrom('online_order').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    const stock = await db!.primary.selectFrom('stock_level').select((eb) => eb.fn.sum<string>('quantity').as('q')).executeTakeFirstOrThrow()
    return { orders: Number(orders.n), stock: Number(stock.q) }
  }

  /** Clicks and waits for the page the click leads to (a link, or a form's POST → 303 → GET). */
  async function clickThrough(page: Page, click: () => Promise<void>, url: RegExp) {
    await Promise.all([page.waitForURL(url, { waitUntil: 'load' }), click()])
  }

  /** From the home page: a category, a product, 2 boxes of 12 Cola; search, 250 g of Cheddar; the cart. */
  async function fillCart(page: Page, snap: Snap) {
    await page.goto('/')
    await snap('01-home')
    const main = page.locator('main')
    await clickThrough(page, () => main.getByRole('link', { name: 'Soft drinks', exact: true }).click(), /\/c\/\d+$/)
    await snap('02-category')
    await clickThrough(page, () => main.getByRole('link', { name: 'Cola (Classic)' }).click(), /\/p\/\d+$/)
    assert.equal(await page.locator('.stock').textContent(), 'In stock')
    await snap('03-product')
    await addToCart(page, '2', 'box12', 'Added 2 × box of 12 Cola (Classic) to your cart.')

    await page.getByRole('searchbox', { name: 'Search products' }).fill('cheddar')
    await clickThrough(page, () => page.getByRole('button', { name: 'Search', exact: true }).click(), /\/search\?q=cheddar/)
    await snap('04-search')
    await clickThrough(page, () => main.getByRole('link', { name: 'Cheddar (Classic)' }).click(), /\/p\/\d+$/)
    await snap('05-product-by-weight')
    await addToCart(page, '250', 'g', 'Added 250 × g Cheddar (Classic) to your cart.')
    assert.equal(await page.locator('.cart-link .badge').textContent(), '2')

    await clickThrough(page, () => page.getByRole('link', { name: 'Cart', exact: true }).click(), /\/cart$/)
    const lines = page.locator('.cart-line')
    assert.equal(await lines.count(), 2)
    assert.match((await lines.nth(0).textContent())!, /Cola \(Classic\)[\s\S]*box of 12/)
    assert.equal(await lines.nth(0).locator('input[name="quantity"]').inputValue(), '2')
    assert.match((await lines.nth(1).textContent())!, /Cheddar \(Classic\)[\s\S]*\/ g/)
    assert.equal(await lines.nth(1).locator('input[name="quantity"]').inputValue(), '250')
    await snap('06-cart')
  }

  async function addToCart(page: Page, quantity: string, unit: string, message: string) {
    const form = page.locator('form.add-to-cart')
    await form.getByLabel('Quantity').fill(quantity)
    await form.getByLabel('Unit').selectOption(unit)
    await form.getByRole('button', { name: 'Add to cart' }).click()
    // the product page again (same URL), now with the outcome: wait for it rather than the URL
    await page.getByRole('status').filter({ hasText: message }).waitFor()
  }

  /** Header → sign in → create an account; the guest cart becomes the customer's. */
  async function signUp(page: Page, name: string, email: string, snap: Snap) {
    await clickThrough(page, () => page.getByRole('link', { name: 'Sign in', exact: true }).click(), /\/sign-in$/)
    await snap('07-sign-in')
    await clickThrough(page, () => page.getByRole('link', { name: 'Create an account' }).click(), /\/sign-up\?/)
    const form = page.locator('form.stacked')
    await form.getByLabel('Name').fill(name)
    await form.getByLabel('Email').fill(email)
    await form.getByLabel('Password').fill('correct horse battery')
    await snap('08-sign-up')
    await clickThrough(page, () => form.getByRole('button', { name: 'Create account' }).click(), /\/account\?notice=[\w.-]+$/)
    await page.getByRole('status').filter({ hasText: `Welcome, ${name}!` }).waitFor()
    assert.equal(await page.locator('.cart-link .badge').textContent(), '2', 'the cart came along')
  }

  async function fillAddress(page: Page) {
    const form = page.locator('form.checkout')
    await form.getByLabel('Address', { exact: true }).fill(ADDRESS.line1)
    await form.getByLabel('Postal code').fill(ADDRESS.postalCode)
    await form.getByLabel('City').fill(ADDRESS.city)
    return form
  }

  async function checkOutAndSeeOrder(page: Page, snap: Snap, country?: { code: string; name: string }) {
    await clickThrough(page, () => page.getByRole('link', { name: 'Cart', exact: true }).click(), /\/cart$/)
    await clickThrough(page, () => page.getByRole('link', { name: 'Check out' }).click(), /\/checkout$/)
    const form = await fillAddress(page)
    if (country) {
      // with JavaScript, choosing the country swaps in its shipping and total, keeping what was typed
      await page.getByLabel('Country').selectOption(country.code)
      await page.getByText(`Shipping to ${country.name}`).waitFor()
      assert.equal(await form.getByLabel('City').inputValue(), ADDRESS.city)
    }
    await form.getByLabel('Card number').fill(APPROVED)
    await snap('09-checkout')
    const before = await counts()
    await clickThrough(page, () => form.getByRole('button', { name: /^Place order/ }).click(), /\/orders\/\d+\?placed=1$/)
    await page.getByRole('heading', { name: 'Thank you! Your order is placed.' }).waitFor()
    assert.equal(await page.locator('.cart-link .badge').textContent(), '0')
    assert.equal((await counts()).orders, before.orders + 1)
    await snap('10-confirmation')
    const orderId = /\/orders\/(\d+)/.exec(page.url())![1]!
    await clickThrough(page, () => page.getByRole('link', { name: 'Your orders' }).click(), /\/account$/)
    await page.locator('table.orders').getByRole('link', { name: `#${orderId}`, exact: true }).waitFor()
    await snap('11-account')
  }

  test('a shopper browses, adds 2 boxes of 12 and 250 g, signs up, pays by test card and finds the order in their account', async (t) => {
    if (missing) return t.skip(missing)
    const page = await visitor(t, { javaScriptEnabled: true })
    const snap = snapper(page)
    await fillCart(page, snap)
    await signUp(page, 'Ana Shopper', 'ana@example.com', snap)
    await checkOutAndSeeOrder(page, snap, { code: 'FR', name: 'France' })
  })

  test('a declined card shows a clear message and reserves nothing', async (t) => {
    if (missing) return t.skip(missing)
    const page = await visitor(t, { javaScriptEnabled: true })
    await fillCart(page, noSnap)
    await clickThrough(page, () => page.getByRole('link', { name: 'Check out' }).click(), /\/checkout$/)
    const form = await fillAddress(page)
    await form.getByLabel('Email').fill('guest@example.com')
    await form.getByLabel('Full name').fill('Guest Shopper')
    await form.getByLabel('Card number').fill(DECLINED)
    const before = await counts()
    await form.getByRole('button', { name: /^Place order/ }).click()
    await page.getByRole('alert').filter({ hasText: 'The card was declined; nothing was ordered' }).waitFor()
    assert.equal(await form.getByLabel('Address', { exact: true }).inputValue(), ADDRESS.line1, 'the address is kept')
    assert.equal(await form.getByLabel('Card number').inputValue(), '', 'the card number is not sent back')
    assert.deepEqual(await counts(), before, 'no order, no stock reserved')
    assert.equal(await page.locator('.cart-link .badge').textContent(), '2', 'the cart is kept')
    await screenshotBothWidths(page, '12-checkout-declined')
  })

  test('the same trip works with JavaScript disabled', async (t) => {
    if (missing) return t.skip(missing)
    const page = await visitor(t, { javaScriptEnabled: false })
    await page.setContent('<title>off</title><script>document.title = "on"</script>')
    assert.equal(await page.title(), 'off', 'page scripts really are off')
    await fillCart(page, noSnap)
    await signUp(page, 'Ben Shopper', 'ben@example.com', noSnap)
    await checkOutAndSeeOrder(page, noSnap)
  })
})

/**
 * Stock badges: a sale, an order or an adjustment that moves a product's stock across a badge
 * threshold evicts its page after the watcher's next check — and nothing else; the writes
 * themselves send no extra statement (their counts are asserted in their own tests).
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProduct, createToken } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import type { Principal } from '../access/index.ts'
import { notifyStockMoved, onStockMoved } from '../inventory/index.ts'
import { createPageCache, registerStorefront, type Storefront } from './index.ts'
import { badgeTag } from './page-cache-tags.ts'
import { Shopper } from './storefront.test-support.ts'

describeEachDatabase('stock badge watcher', (ctx) => {
  const apps: BriskApp[] = []
  after(async () => {
    for (const app of apps) await app.close()
  })

  /** An app with a shop under /w on the app's cache tiers (its watcher at hand, re-checking nothing), an online location, a manager, two products. */
  async function setup() {
    const app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
    apps.push(app)
    let shop: Storefront | undefined
    await app.http.register(
      async (scope) => {
        shop = await registerStorefront(scope, app.services, { db: ctx.db, pageCache: createPageCache(app.cache), badgeWatch: { settleMs: 0 } })
      },
      { prefix: '/w' },
    )
    const location = await createLocation(ctx.db)
    await ctx.db.primary.updateTable('location').set({ sells_online: true }).where('id', '=', location.id).execute()
    const [tea, coffee] = [await createProduct(ctx.db, { price: '2.50' }), await createProduct(ctx.db, { price: '4.00' })]
    await addStock(ctx.db, location.id, [
      { productId: tea.id, quantity: '6' },
      { productId: coffee.id, quantity: '100' },
    ])
    const { principal } = await createToken(ctx.db, 'manager')
    return { app, shop: shop!, location, tea, coffee, principal }
  }

  const sell = (app: BriskApp, principal: Principal, locationId: number, productId: number, quantity = '1') =>
    app.services.sales.createInvoice(principal, {
      locationId,
      lines: [{ productId, quantity }],
      payments: [{ method: 'cash', amount: '1000' }],
      submit: true,
    })

  test('a sale crossing "few left" evicts the product page after the tick, and no other page; one that crosses nothing evicts nothing', async () => {
    const { app, shop, location, tea, coffee, principal } = await setup()
    const shopper = new Shopper(app)
    const teaPage = `/w/p/${tea.id}`
    const coffeePage = `/w/p/${coffee.id}`
    const first = await shopper.get(teaPage)
    assert.equal(first.status, 200, first.body.slice(0, 300))
    assert.equal(first.headers['x-page-cache'], 'miss')
    assert.match(first.body, /In stock/)
    await shopper.get(coffeePage)
    assert.equal((await shopper.get(teaPage)).headers['x-page-cache'], 'hit')

    await sell(app, principal, location.id, tea.id) // 6 → 5: still in stock
    await shop.badges.tick()
    assert.equal(shop.badges.counters.evicted, 0)
    assert.equal((await shopper.get(teaPage)).headers['x-page-cache'], 'hit', 'no threshold crossed: the page stays')

    await sell(app, principal, location.id, tea.id) // 5 → 4: few left
    await shop.badges.tick()
    assert.equal(shop.badges.counters.evicted, 1)
    const after = await shopper.get(teaPage)
    assert.equal(after.headers['x-page-cache'], 'miss')
    assert.match(after.body, /Only a few left/)
    assert.equal((await shopper.get(coffeePage)).headers['x-page-cache'], 'hit', "another product's page stays cached")

    // an adjustment to zero: sold out, through the inventory service's own notification
    await app.services.inventory.adjustStock(principal, location.id, { lines: [{ productId: tea.id, quantity: '-4' }] })
    await shop.badges.tick()
    const soldOut = await shopper.get(teaPage)
    assert.equal(soldOut.headers['x-page-cache'], 'miss')
    assert.match(soldOut.body, /Sold out/)
    assert.equal((await shopper.get(teaPage)).headers['x-page-cache'], 'hit')
  })

  test('a move seen while a page reads the stock evicts its tag: the shell in progress is stale on arrival', async () => {
    const { app, shop, tea } = await setup()
    await app.cache.findCachedDocs('pageTag', [badgeTag(tea.id)]) // the version a render reads before it begins
    shop.badges.rendering(tea.id)
    notifyStockMoved(ctx.db, [tea.id])
    await shop.badges.tick()
    assert.equal(shop.badges.counters.evicted, 1, "'rendering' matches no badge")
    assert.equal(app.cache.peekCachedDoc('pageTag', badgeTag(tea.id)), undefined)
    shop.badges.rendered(tea.id, 'in_stock')
    assert.equal(await app.cache.findCachedDoc('stockBadge', tea.id), 'in_stock', 'the late record is kept: the next move compares with it')
  })

  test('a product no page shows costs a read and evicts nothing; a settled product leaves the watch', async () => {
    const { app, shop, location, coffee, principal } = await setup()
    await sell(app, principal, location.id, coffee.id, '97') // 100 → 3: few left, but no page shows coffee
    assert.ok(shop.badges.watched >= 1)
    await shop.badges.tick()
    assert.equal(shop.badges.counters.evicted, 0)
    assert.equal(shop.badges.counters.checked, 1)
    assert.equal(shop.badges.watched, 0, 'checked once it settled (settleMs: 0 here)')
  })

  test('sales and inventory writes tell after their commit, with the products they moved; a draft or a replay tells nothing (orders: orders.stock-moves.db.test.ts)', async () => {
    const { app, location, tea, coffee, principal } = await setup()
    const heard: number[][] = []
    const stop = onStockMoved(ctx.db, (ids) => heard.push([...ids]))
    const onlineCoffee = async () => (await app.services.inventory.listStock(location.id, { productIds: [coffee.id] })).items[0]!.quantity
    try {
      const expect = async (what: string, write: () => Promise<unknown>, ids: number[]) => {
        heard.length = 0
        await write()
        assert.deepEqual(heard.map((h) => [...new Set(h)].sort()), ids.length === 0 ? [] : [ids.sort()], what)
      }
      const draft = { locationId: location.id, lines: [{ productId: tea.id, quantity: '1' }] }
      await expect('a draft', () => app.services.sales.createInvoice(principal, draft), [])
      const sale = { ...draft, payments: [{ method: 'cash' as const, amount: '100' }], submit: true }
      let invoice = 0
      await expect('a sale', async () => (invoice = (await app.services.sales.createInvoice(principal, sale, { idempotencyKey: 'k-1' })).body.id), [tea.id])
      await expect('its replay', () => app.services.sales.createInvoice(principal, sale, { idempotencyKey: 'k-1' }), [])
      const lineId = (await app.services.sales.getInvoice(principal, invoice)).lines[0]!.id
      await expect('a return', () => app.services.sales.returnItems(principal, invoice, { lines: [{ lineId, quantity: '1' }] }), [tea.id])
      const other = (await app.services.sales.createInvoice(principal, sale)).body.id
      await expect('a cancel', () => app.services.sales.cancelInvoice(principal, other), [tea.id])
      const elsewhere = await createLocation(ctx.db)
      const transfer = { fromLocationId: location.id, toLocationId: elsewhere.id, lines: [{ productId: coffee.id, quantity: '1' }] }
      await expect('a transfer', () => app.services.inventory.transferStock(principal, transfer), [coffee.id])
      const count = Readable.from([`sku,quantity\n${tea.sku},40\n${coffee.sku},${await onlineCoffee()}\n`])
      await expect('a stock count import: only what it changed', () => app.services.imports.importFor(principal, 'stock', { source: 'count.csv', input: count, options: { locationId: location.id } }), [tea.id])
    } finally {
      stop()
    }
  })
})

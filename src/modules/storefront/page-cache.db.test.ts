/**
 * The catalog's ordinary writes evict the pages showing what they changed, with no writer knowing
 * about pages: the cache derives page tags from its own product and category evictions.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { createProduct, createUnits } from '../../../test/factories.ts'
import { memoryOnlyCache } from '../../infra/cache/cache.ts'
import { SYSTEM_PRINCIPAL } from '../access/index.ts'
import { createCatalogService } from '../catalog/index.ts'
import { createPageCache, type ShellSpec } from './page-cache.ts'
import { LISTING_TAGS, productTag } from './page-cache-tags.ts'

describeEachDatabase('page cache over the catalog', (ctx) => {
  function setup() {
    const cache = memoryOnlyCache()
    const catalog = createCatalogService(ctx.db, cache)
    const pages = createPageCache(cache)
    const productPage = (id: number): ShellSpec => ({
      key: `product:${id}`,
      tags: [productTag(id)],
      render: async () => {
        const product = await catalog.getProduct(id)
        return `<h1>${product.name}</h1><p>${product.price}</p>`
      },
    })
    const home: ShellSpec = {
      key: 'home',
      tags: [LISTING_TAGS.products],
      render: async () => `<ul>${(await catalog.listProducts()).items.map((p) => `<li>${p.name}</li>`).join('')}</ul>`,
    }
    return { catalog, pages, productPage, home }
  }

  test("a price change through the catalog's service evicts the product's page and the listings, not another product's", async () => {
    const { catalog, pages, productPage, home } = setup()
    const [tea, coffee] = [await createProduct(ctx.db, { price: '2.50' }), await createProduct(ctx.db, { price: '4.00' })]
    for (const spec of [productPage(tea.id), productPage(coffee.id), home]) await pages.shell(spec)
    assert.equal((await pages.shell(productPage(tea.id))).hit, true)
    await catalog.updateProduct(SYSTEM_PRINCIPAL, tea.id, { price: '2.75' })
    const after = await pages.shell(productPage(tea.id))
    assert.equal(after.hit, false)
    assert.match(after.html, /2\.75/)
    assert.equal((await pages.shell(productPage(coffee.id))).hit, true)
    assert.equal((await pages.shell(home)).hit, false)
  })

  test('a new product evicts the listings it joins', async () => {
    const { catalog, pages, home } = setup()
    await createUnits(ctx.db, ['each'])
    await pages.shell(home)
    await catalog.createProduct(SYSTEM_PRINCIPAL, { sku: 'NEW-1', name: 'Fresh tea', baseUnit: 'each', price: '3.00', taxRate: '7' })
    const after = await pages.shell(home)
    assert.equal(after.hit, false)
    assert.match(after.html, /Fresh tea/)
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import {
  addStock,
  createLocation,
  createProduct,
  createProducts,
  createToken,
  ledgerSum,
  stockOf,
} from '../../../test/factories.ts'
import { createInventoryService } from './inventory.service.ts'

describeEachDatabase('inventory', (ctx) => {
  test('adjustments of 5, 50 and 500 lines use the same number of statements', async () => {
    const { principal } = await createToken(ctx.db, 'manager')
    const location = await createLocation(ctx.db)
    const products = await createProducts(ctx.db, 500)
    const inventory = createInventoryService(ctx.db)
    await inventory.listLocations() // the locations cached: what is left is the product lookup and the movement
    const counts: number[] = []
    for (const size of [5, 50, 500]) {
      const lines = products.slice(0, size).map((p) => ({ productId: p.id, quantity: 3 }))
      const { count } = await countQueries(() => inventory.adjustStock(principal, location.id, { lines }))
      counts.push(count)
    }
    // resolve the lines, move stock + ledger (the location from the cache): no transaction around one write
    assert.deepEqual(counts, [2, 2, 2])
    assert.equal(await stockOf(ctx.db, location.id, products[0]!.id), '9.000000')
    assert.equal(await stockOf(ctx.db, location.id, products[499]!.id), '3.000000')
  })

  test('units convert to the base unit exactly, fractional quantities included', async () => {
    const { principal } = await createToken(ctx.db, 'admin')
    const location = await createLocation(ctx.db)
    const cans = await createProduct(ctx.db, { units: { box12: '12' } })
    const cheese = await createProduct(ctx.db, { baseUnit: 'kg', units: { g: '0.001' } })
    const inventory = createInventoryService(ctx.db)
    await inventory.adjustStock(principal, location.id, {
      lines: [
        { productId: cans.id, unit: 'box12', quantity: 2 },
        { productId: cans.id, quantity: '0.5' },
        { sku: cheese.sku, unit: 'g', quantity: 1250 },
        { sku: cheese.sku, quantity: 0.1 },
      ],
    })
    assert.equal(await stockOf(ctx.db, location.id, cans.id), '24.500000')
    assert.equal(await stockOf(ctx.db, location.id, cheese.id), '1.350000')
  })

  test('a short line refuses the whole adjustment, names every short line, and writes nothing', async () => {
    const { principal } = await createToken(ctx.db, 'manager')
    const location = await createLocation(ctx.db)
    const [a, b, c] = await createProducts(ctx.db, 3)
    await addStock(ctx.db, location.id, [
      { productId: a!.id, quantity: '5' },
      { productId: b!.id, quantity: '1' },
    ])
    const inventory = createInventoryService(ctx.db)
    await assert.rejects(
      inventory.adjustStock(principal, location.id, {
        lines: [
          { productId: a!.id, quantity: -2 },
          { productId: b!.id, quantity: -3 },
          { productId: c!.id, quantity: -1 },
        ],
      }),
      (error: { code: string; details: { lines: { sku: string; available: string; requested: string }[] } }) => {
        assert.equal(error.code, 'INVENTORY_INSUFFICIENT_STOCK')
        assert.deepEqual(
          error.details.lines.map((l) => [l.sku, l.requested, l.available]),
          [
            [b!.sku, '3', '1'],
            [c!.sku, '1', '0'],
          ],
        )
        return true
      },
    )
    assert.equal(await stockOf(ctx.db, location.id, a!.id), '5.000000')
    assert.equal(await ledgerSum(ctx.db, location.id, a!.id), '5.000000')
    assert.equal(await stockOf(ctx.db, location.id, c!.id), undefined)
  })

  test('a location that allows negative stock goes below zero', async () => {
    const { principal } = await createToken(ctx.db, 'manager')
    const location = await createLocation(ctx.db, { allowNegativeStock: true })
    const product = await createProduct(ctx.db)
    await createInventoryService(ctx.db).adjustStock(principal, location.id, { lines: [{ productId: product.id, quantity: -4 }] })
    assert.equal(await stockOf(ctx.db, location.id, product.id), '-4.000000')
  })

  test('20 concurrent adjustments competing for 10 units never go below zero; the ledger sums to the level', async () => {
    const { principal } = await createToken(ctx.db, 'manager')
    const location = await createLocation(ctx.db)
    const product = await createProduct(ctx.db)
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '10' }])
    const inventory = createInventoryService(ctx.db)
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => inventory.adjustStock(principal, location.id, { lines: [{ productId: product.id, quantity: -1 }] })),
    )
    const succeeded = results.filter((r) => r.status === 'fulfilled').length
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'INVENTORY_INSUFFICIENT_STOCK',
    ).length
    assert.equal(succeeded, 10)
    assert.equal(refused, 10)
    assert.equal(await stockOf(ctx.db, location.id, product.id), '0.000000')
    assert.equal(await ledgerSum(ctx.db, location.id, product.id), '0.000000')
  })

  test('transfers move stock in a constant number of statements and refuse when the source is short', async () => {
    const { principal } = await createToken(ctx.db, 'manager')
    const from = await createLocation(ctx.db)
    const to = await createLocation(ctx.db)
    const products = await createProducts(ctx.db, 60)
    await addStock(
      ctx.db,
      from.id,
      products.map((p) => ({ productId: p.id, quantity: '10' })),
    )
    const inventory = createInventoryService(ctx.db)
    await inventory.listLocations()
    const small = await countQueries(() =>
      inventory.transferStock(principal, {
        fromLocationId: from.id,
        toLocationId: to.id,
        lines: products.slice(0, 5).map((p) => ({ productId: p.id, quantity: 2 })),
      }),
    )
    const large = await countQueries(() =>
      inventory.transferStock(principal, {
        fromLocationId: from.id,
        toLocationId: to.id,
        lines: products.map((p) => ({ productId: p.id, quantity: 1 })),
      }),
    )
    assert.equal(small.count, 2)
    assert.equal(large.count, 2)
    assert.equal(await stockOf(ctx.db, from.id, products[0]!.id), '7.000000')
    assert.equal(await stockOf(ctx.db, to.id, products[0]!.id), '3.000000')
    await assert.rejects(
      inventory.transferStock(principal, {
        fromLocationId: from.id,
        toLocationId: to.id,
        lines: [{ productId: products[59]!.id, quantity: 100 }],
      }),
      { code: 'INVENTORY_INSUFFICIENT_STOCK' },
    )
    assert.equal(await stockOf(ctx.db, to.id, products[59]!.id), '1.000000')
  })

  test('the ledger lists newest first, pages back with `before`, and filters by product and reason', async () => {
    const app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
    try {
      const { principal, authorization } = await createToken(ctx.db, 'manager')
      const [store, other] = [await createLocation(ctx.db), await createLocation(ctx.db)]
      const [a, b] = await createProducts(ctx.db, 2)
      const inventory = createInventoryService(ctx.db)
      for (const quantity of [1, 2, 3]) {
        const lines = [a!, b!].map((p) => ({ productId: p.id, quantity }))
        await inventory.adjustStock(principal, store.id, { lines })
      }
      const lines = [{ productId: a!.id, quantity: 4 }]
      await inventory.transferStock(principal, { fromLocationId: store.id, toLocationId: other.id, lines })
      type Entry = { id: number; productId: number; delta: string; reason: string }
      const ledger = async (query: string) => {
        const url = `/api/locations/${store.id}/ledger?${query}`
        const response = await app.http.inject({ method: 'GET', url, headers: { authorization } })
        assert.equal(response.statusCode, 200, response.body)
        return response.json() as { items: Entry[]; nextBefore: number | null }
      }
      const first = await ledger('limit=3')
      assert.deepEqual(
        first.items.map((i) => [i.productId, i.delta, i.reason]),
        [
          [a!.id, '-4', 'transfer_out'],
          [b!.id, '3', 'adjustment'],
          [a!.id, '3', 'adjustment'],
        ],
      )
      assert.equal(first.nextBefore, first.items[2]!.id)
      const rest = await ledger(`limit=3&before=${first.nextBefore}`)
      assert.deepEqual(
        rest.items.map((i) => i.delta),
        ['2', '2', '1'],
      )
      const last = await ledger(`limit=3&before=${rest.nextBefore}`)
      assert.deepEqual([last.items.length, last.nextBefore], [1, null])
      const ids = [...first.items, ...rest.items, ...last.items].map((i) => i.id)
      assert.deepEqual(ids, [...ids].sort((x, y) => y - x))

      const ofA = await ledger(`productId=${a!.id}&reason=adjustment`)
      assert.deepEqual(
        ofA.items.map((i) => [i.productId, i.delta]),
        [
          [a!.id, '3'],
          [a!.id, '2'],
          [a!.id, '1'],
        ],
      )
      assert.equal(ofA.nextBefore, null)
      assert.deepEqual((await ledger('reason=transfer_in')).items, [])

      const badReason = await app.http.inject({
        method: 'GET',
        url: `/api/locations/${store.id}/ledger?reason=theft`,
        headers: { authorization },
      })
      assert.equal(badReason.statusCode, 400, badReason.body)
      const oldParameter = await app.http.inject({
        method: 'GET',
        url: `/api/locations/${store.id}/ledger?after=1`,
        headers: { authorization },
      })
      assert.equal(oldParameter.statusCode, 400, oldParameter.body)
    } finally {
      await app.close()
    }
  })

  test('errors name request lines: lines[1] in the message, /lines/1 (a JSON Pointer) in the details', async () => {
    const { principal } = await createToken(ctx.db, 'manager')
    const [from, to] = [await createLocation(ctx.db), await createLocation(ctx.db)]
    const [a, b] = await createProducts(ctx.db, 2)
    await addStock(ctx.db, from.id, [{ productId: a!.id, quantity: '1' }])
    const inventory = createInventoryService(ctx.db)
    const check = async (promise: Promise<unknown>, code: string, message: string, details: unknown) =>
      assert.rejects(promise, (error: { code: string; message: string; details: unknown }) => {
        assert.deepEqual([error.code, error.message, error.details], [code, message, details])
        return true
      })
    await check(
      inventory.adjustStock(principal, from.id, { lines: [{ productId: a!.id, quantity: 1 }, { productId: b!.id, quantity: 0 }] }),
      'INVENTORY_ZERO_QUANTITY',
      'lines[1].quantity must not be zero.',
      { field: '/lines/1/quantity' },
    )
    await check(
      inventory.transferStock(principal, {
        fromLocationId: from.id,
        toLocationId: to.id,
        lines: [{ productId: a!.id, quantity: -1 }],
      }),
      'INVENTORY_QUANTITY_NOT_POSITIVE',
      'lines[0].quantity must be above zero: a transfer moves stock one way.',
      { field: '/lines/0/quantity' },
    )
    await check(
      inventory.adjustStock(principal, from.id, { lines: [{ productId: b!.id, quantity: 1 }, { sku: 'NO-SUCH-SKU', quantity: 1 }] }),
      'CATALOG_UNKNOWN_PRODUCT',
      'No such product: lines[1] (SKU NO-SUCH-SKU).',
      { lines: [{ field: '/lines/1', sku: 'NO-SUCH-SKU' }] },
    )
    await check(
      inventory.adjustStock(principal, from.id, {
        lines: [
          { productId: a!.id, quantity: -1 },
          { productId: b!.id, quantity: 1 },
          { productId: a!.id, quantity: '-0.5' },
        ],
      }),
      'INVENTORY_INSUFFICIENT_STOCK',
      `Not enough stock for 1 line(s): lines[0] and lines[2] (${a!.sku}: requested 1.5, available 1).`,
      {
        lines: [
          { locationId: from.id, productId: a!.id, requested: '1.5', available: '1', fields: ['/lines/0', '/lines/2'], sku: a!.sku },
        ],
      },
    )
  })

  test('HTTP: roles, location scope and errors', async () => {
    const app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
    try {
      const store = await createLocation(ctx.db, { code: 'STORE1' })
      const other = await createLocation(ctx.db, { code: 'STORE2' })
      const product = await createProduct(ctx.db)
      const manager = await createToken(ctx.db, 'manager')
      const scopedManager = await createToken(ctx.db, 'manager', ['STORE1'])
      const cashier = await createToken(ctx.db, 'cashier')
      const body = { lines: [{ productId: product.id, quantity: 5 }] }

      const anonymous = await app.http.inject({ method: 'POST', url: `/api/locations/${store.id}/adjustments`, payload: body })
      assert.equal(anonymous.statusCode, 401)
      assert.equal(anonymous.json().error.code, 'ACCESS_UNAUTHENTICATED')

      const asCashier = await app.http.inject({
        method: 'POST',
        url: `/api/locations/${store.id}/adjustments`,
        payload: body,
        headers: { authorization: cashier.authorization },
      })
      assert.equal(asCashier.statusCode, 403)

      const outOfScope = await app.http.inject({
        method: 'POST',
        url: `/api/locations/${other.id}/adjustments`,
        payload: body,
        headers: { authorization: scopedManager.authorization },
      })
      assert.equal(outOfScope.statusCode, 403)
      assert.equal(outOfScope.json().error.code, 'ACCESS_LOCATION_FORBIDDEN')

      const ok = await app.http.inject({
        method: 'POST',
        url: `/api/locations/${store.id}/adjustments`,
        payload: body,
        headers: { authorization: manager.authorization },
      })
      assert.equal(ok.statusCode, 200)
      assert.match(String(ok.headers['server-timing']), /^db;desc="\d+ statements";dur=[\d.]+$/)

      const stock = await app.http.inject({
        method: 'GET',
        url: `/api/locations/${store.id}/stock`,
        headers: { authorization: cashier.authorization },
      })
      assert.equal(stock.statusCode, 200)
      assert.deepEqual(
        stock.json().items.map((i: { sku: string; quantity: string }) => [i.sku, i.quantity]),
        [[product.sku, '5']],
      )

      const badUnit = await app.http.inject({
        method: 'POST',
        url: `/api/locations/${store.id}/adjustments`,
        payload: { lines: [{ productId: product.id, unit: 'kg', quantity: 1 }] },
        headers: { authorization: manager.authorization },
      })
      assert.equal(badUnit.statusCode, 422)
      assert.equal(badUnit.json().error.code, 'CATALOG_UNIT_NOT_CONVERTIBLE')

      const unknownProduct = await app.http.inject({
        method: 'POST',
        url: `/api/locations/${store.id}/adjustments`,
        payload: { lines: [{ productId: 999999, quantity: 1 }] },
        headers: { authorization: manager.authorization },
      })
      assert.equal(unknownProduct.statusCode, 404)

      const zero = await app.http.inject({
        method: 'POST',
        url: `/api/locations/${store.id}/adjustments`,
        payload: { lines: [{ productId: product.id, quantity: 0 }] },
        headers: { authorization: manager.authorization },
      })
      assert.equal(zero.statusCode, 422)
      assert.equal(await stockOf(ctx.db, store.id, product.id), '5.000000')
    } finally {
      await app.close()
    }
  })
})

/** What the sales database tests share: a shop to sell in, a fresh service per test, and error checks. */
import assert from 'node:assert/strict'
import { beforeEach } from 'node:test'
import type { DbContext } from '../../../test/db.ts'
import { addStock, createLocation, createProducts, createToken } from '../../../test/factories.ts'
import type { Db } from '../../infra/db/database.ts'
import { AppError } from '../../infra/errors.ts'
import type { Principal } from '../access/index.ts'
import { createSalesService, type SalesService } from './sales.service.ts'

/** Awaits `promise` and checks it fails with an AppError of `code`; returns that error. */
export async function rejects(promise: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    return error
  }
  assert.fail(`expected ${code}`)
}

/** A location with `count` products, each with plenty of stock, and a manager. */
export async function shop(db: Db, count: number, options: { price?: string; taxRate?: string; stock?: string } = {}) {
  const location = await createLocation(db)
  const products = await createProducts(db, count, { price: options.price ?? '2.50', taxRate: options.taxRate ?? '10' })
  await addStock(
    db,
    location.id,
    products.map((p) => ({ productId: p.id, quantity: options.stock ?? '1000' })),
  )
  const { principal } = await createToken(db, 'manager')
  return { location, products, principal }
}

/**
 * Call inside a describe: one service (and so one sellable-line cache) per test, as one server
 * process would have, and shortcuts for a draft and a paid sale.
 */
export function useSales(ctx: DbContext) {
  let service: SalesService | undefined
  beforeEach(() => {
    service = undefined
  })
  const sales = () => {
    service ??= createSalesService(ctx.db)
    return service
  }

  async function draft(principal: Principal, locationId: number, productIds: number[], quantity = '1') {
    const { body } = await sales().createInvoice(principal, {
      locationId,
      lines: productIds.map((productId) => ({ productId, quantity })),
    })
    return body
  }

  async function submitted(principal: Principal, locationId: number, productIds: number[], quantity = '2') {
    const { body } = await sales().createInvoice(principal, {
      locationId,
      lines: productIds.map((productId) => ({ productId, quantity })),
      payments: [{ method: 'cash', amount: '100000' }],
      submit: true,
    })
    return body
  }

  return { sales, draft, submitted }
}

/**
 * Batch order processing for staff: many orders marked paid, fulfilled, or imported from a
 * marketplace in ONE request, in a constant number of statements per chunk of orders (each chunk
 * one statement, so its own short transaction). A row that cannot go through is reported with
 * its error and left alone; the rest go through. Every batch is a row of the batch log.
 */
import {
  type BatchLog,
  type BatchLogReader,
  type BatchRowError,
  type BatchRun,
  getBatchLog,
  listBatchLog,
  runBatch,
} from '../../infra/batch-log/batch-log.ts'
import type { Db } from '../../infra/db/database.ts'
import { decimalString } from '../../infra/decimal.ts'
import { AppError } from '../../infra/errors.ts'
import { type Principal, requireLocation, requireRole } from '../access/index.ts'
import { notifyStockMoved, shortStockOf } from '../inventory/index.ts'
import * as repo from './orders.batch.repository.ts'
import { checkImportInput, type ImportInput, importedOrder } from './orders.imports.ts'
import { notAllowed, ORDER_TRANSITIONS } from './orders.rules.ts'
import type { OrderStatus } from './orders.tables.ts'

/** Orders per chunk: each chunk is one short statement, whatever the batch's size. */
export const DEFAULT_BATCH_CHUNK_SIZE = 1000

export interface MarkPaidInput {
  orderIds: number[]
}

export interface FulfilInput {
  locationId: number
  orders: { orderId: number; trackingReference: string }[]
}


/** One row of a batch: the order it wrote or changed, or why not. */
export interface BatchRowResult {
  row: number
  orderId: number | null
  externalRef?: string
  /** the order's state after the batch, when it went through */
  status?: OrderStatus
  error?: { code: string; message: string; details?: unknown }
}

export interface BatchResult {
  batch: BatchLog
  results: BatchRowResult[]
}

const STAFF = ['admin', 'manager'] as const
const actorOf = (principal: Principal) => (principal.tokenId === null ? 'system' : `token:${principal.tokenId}`)

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

const rowError = (row: number, error: AppError): BatchRowError => ({
  row,
  code: error.code,
  message: error.message,
  ...(error.details === undefined ? {} : { details: error.details }),
})

function failed(row: number, error: AppError, extra: Partial<BatchRowResult> = {}): BatchRowResult {
  const { code, message, details } = rowError(row, error)
  return { row, orderId: null, ...extra, error: { code, message, ...(details === undefined ? {} : { details }) } }
}

/** Adds a chunk's rows to the run and to the response. */
function record(run: BatchRun, results: BatchRowResult[], rows: readonly BatchRowResult[]): void {
  results.push(...rows)
  run.add({
    succeeded: rows.filter((r) => !r.error).length,
    errors: rows.flatMap((r) => (r.error ? [{ row: r.row, ...r.error }] : [])),
  })
}

/** Rows whose key came earlier in the same batch are reported, and only the first one goes on. */
function firstOfEach<T>(items: readonly T[], keyOf: (item: T) => string | number, duplicate: (item: T, row: number) => BatchRowResult) {
  const seen = new Set<string | number>()
  const unique: { item: T; row: number }[] = []
  const repeated: BatchRowResult[] = []
  items.forEach((item, row) => {
    const key = keyOf(item)
    if (seen.has(key)) repeated.push(duplicate(item, row))
    else {
      seen.add(key)
      unique.push({ item, row })
    }
  })
  return { unique, repeated }
}

const notFoundError = (orderId: number) => new AppError('not_found', 'ORDERS_NOT_FOUND', `No order ${orderId}.`, { orderId })
const repeatedIn = (what: string) => new AppError('conflict', 'ORDERS_DUPLICATE_IN_BATCH', `${what} is already earlier in this batch; sent once.`)

export function createOrderBatches(db: Db, options: { chunkSize?: number | undefined } = {}) {
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_BATCH_CHUNK_SIZE)

  async function transition(
    principal: Principal,
    operation: string,
    action: repo.BatchAction,
    items: readonly { orderId: number; trackingReference: string | null }[],
    locationId: number | null,
  ): Promise<BatchResult> {
    const { unique, repeated } = firstOfEach(items, (i) => i.orderId, (i, row) => failed(row, repeatedIn(`Order ${i.orderId}`), { orderId: i.orderId }))
    const { result, log } = await runBatch(db, { operation, tokenId: principal.tokenId, rowsTotal: items.length }, async (run) => {
      const results: BatchRowResult[] = []
      record(run, results, repeated)
      for (const chunk of chunksOf(unique, chunkSize)) {
        const rows = await repo.transitionOrders(db.primary, {
          action,
          items: chunk.map(({ item }) => ({ id: item.orderId, trackingReference: item.trackingReference })),
          locationIds: locationId === null ? principal.locationIds : [locationId],
          at: new Date(),
          actor: actorOf(principal),
          batchId: run.id,
        })
        const byId = new Map(rows.map((r) => [r.id, r]))
        record(
          run,
          results,
          chunk.map(({ item, row }) => {
            const found = byId.get(item.orderId)
            const orderId = item.orderId
            if (found?.changed) return { row, orderId, status: ORDER_TRANSITIONS[action].to }
            const visible = found?.status && (principal.locationIds === null || principal.locationIds.includes(found.location_id!))
            if (!found?.status || !visible) return failed(row, notFoundError(orderId), { orderId })
            if (locationId !== null && found.location_id !== locationId) {
              return failed(
                row,
                new AppError('conflict', 'ORDERS_WRONG_LOCATION', `Order ${orderId} ships from location ${found.location_id}, not ${locationId}.`, {
                  orderId,
                  locationId: found.location_id,
                }),
                { orderId },
              )
            }
            return failed(row, notAllowed(orderId, action, found.status), { orderId })
          }),
        )
      }
      return results.sort((a, b) => a.row - b.row)
    })
    return { batch: log, results: result }
  }

  /** Placed orders become paid (paid in full); the rest are reported. */
  async function markOrdersPaid(principal: Principal, input: MarkPaidInput): Promise<BatchResult> {
    requireRole(principal, STAFF)
    return transition(principal, 'orders.mark-paid', 'pay', input.orderIds.map((orderId) => ({ orderId, trackingReference: null })), null)
  }

  /** Paid orders of the location become fulfilled with their tracking references; the rest are reported. */
  async function fulfilOrders(principal: Principal, input: FulfilInput): Promise<BatchResult> {
    requireRole(principal, STAFF)
    requireLocation(principal, input.locationId)
    return transition(principal, 'orders.fulfil', 'fulfil', input.orders, input.locationId)
  }

  /** Marketplace orders placed, a chunk per statement (after one product lookup per chunk). */
  async function importOrders(principal: Principal, input: ImportInput): Promise<BatchResult> {
    requireRole(principal, STAFF)
    requireLocation(principal, input.locationId)
    checkImportInput(input)
    const paymentProvider = input.source.slice('marketplace:'.length)
    const { unique, repeated } = firstOfEach(
      input.orders,
      (o) => o.externalRef,
      (o, row) => failed(row, repeatedIn(`External reference ${o.externalRef}`), { externalRef: o.externalRef }),
    )
    const { result, log } = await runBatch(db, { operation: `orders.import`, tokenId: principal.tokenId, rowsTotal: input.orders.length }, async (run) => {
      const results: BatchRowResult[] = []
      record(run, results, repeated)
      let retried = 0
      for (const chunk of chunksOf(unique, chunkSize)) {
        const skus = [...new Set(chunk.flatMap(({ item }) => item.lines.map((l) => l.sku)))]
        const found = await repo.findImportProducts(db.primary, skus, input.locationId)
        if (!found.location) {
          throw new AppError('not_found', 'ORDERS_LOCATION_NOT_FOUND', `No location ${input.locationId}.`, { field: '/locationId' })
        }
        const products = new Map(found.products.map((p) => [p.sku, p]))
        const rows: BatchRowResult[] = []
        const ready: { row: number; externalRef: string; order: repo.ImportOrder; lines: repo.ImportLine[] }[] = []
        chunk.forEach(({ item, row }, n) => {
          try {
            ready.push({ row, externalRef: item.externalRef, ...importedOrder(item, row, n, products) })
          } catch (error) {
            if (!(error instanceof AppError)) throw error
            rows.push(failed(row, error, { externalRef: item.externalRef }))
          }
        })
        const write = () =>
          repo.insertImportedOrders(db.primary, {
            source: input.source,
            paymentProvider,
            locationId: input.locationId,
            allowNegativeStock: found.location!.allow_negative_stock,
            orders: ready.map((r) => r.order),
            lines: ready.flatMap((r) => r.lines),
            at: new Date(),
            actor: actorOf(principal),
            batchId: run.id,
          })
        let written: repo.ImportResult | undefined
        if (ready.length > 0) {
          try {
            written = await write()
          } catch (error) {
            // a till sold some of this stock since the statement's snapshot: judged afresh, once
            if (!shortStockOf(error)) throw error
            retried += 1
            try {
              written = await write()
            } catch (again) {
              if (!shortStockOf(again)) throw again
            }
          }
        }
        if (written) notifyStockMoved(db, ready.flatMap((r) => r.lines.map((l) => Number(l.product_id))))
        rows.push(...ready.map((r) => importedRow(r, written)))
        record(run, results, rows)
      }
      if (retried > 0) run.note({ chunksRetried: retried })
      return results.sort((a, b) => a.row - b.row)
    })
    return { batch: log, results: result }
  }

  /** Staff read the batch log; a token limited to locations reads only the batches it ran. */
  function readerOf(principal: Principal): BatchLogReader {
    requireRole(principal, STAFF)
    return principal.locationIds === null ? { all: true } : { tokenId: principal.tokenId }
  }

  return {
    markOrdersPaid,
    fulfilOrders,
    importOrders,
    listBatches: (principal: Principal, query: { operation?: string | undefined; before?: number | undefined; limit?: number | undefined }) =>
      listBatchLog(db, readerOf(principal), query),
    getBatch: (principal: Principal, id: number) => getBatchLog(db, readerOf(principal), id),
  }
}


/** What the statement did with one order of the chunk. */
function importedRow(r: { row: number; externalRef: string; order: repo.ImportOrder }, written: repo.ImportResult | undefined): BatchRowResult {
  const base = { externalRef: r.externalRef }
  if (!written) {
    return failed(r.row, new AppError('conflict', 'ORDERS_STOCK_CHANGED', 'The stock changed twice while this chunk was imported; send the order again.'), base)
  }
  const placed = written.placed.find((p) => p.n === r.order.n)
  if (placed) return { row: r.row, orderId: placed.id, ...base, status: r.order.status as OrderStatus }
  const short = written.short.find((s) => s.n === r.order.n)
  if (short && !written.duplicates.includes(r.order.n)) {
    return failed(
      r.row,
      new AppError('conflict', 'ORDERS_SOLD_OUT', `Order ${r.externalRef}: the location cannot cover every line (with the orders before it in this batch).`, {
        lines: short.lines.map((l) => ({ ...l, requested: decimalString(l.requested), available: decimalString(l.available) })),
      }),
      base,
    )
  }
  return failed(r.row, new AppError('conflict', 'ORDERS_ALREADY_IMPORTED', `Order ${r.externalRef} was imported before: skipped.`), base)
}

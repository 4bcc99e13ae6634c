/**
 * The sales service: POS invoices (draft → submitted → cancelled), payments and returns. Each
 * workflow is a file of its own (sales.<workflow>.ts); this only wires them to one shared context.
 */
import { type Cache, memoryOnlyCache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { createIdempotentWriter, type Replayable, type WriteOptions } from '../../infra/idempotency/idempotency.ts'
import type { Principal } from '../access/index.ts'
import { catalogCacheOf } from '../catalog/index.ts'
import { tellingStockMoved } from '../inventory/index.ts'
import { cancelInvoice } from './sales.cancel-invoice.ts'
import { createInvoice } from './sales.create-invoice.ts'
import { editInvoice } from './sales.edit-invoice.ts'
import { payInvoice } from './sales.pay-invoice.ts'
import { getInvoice, listInvoices, listReturns } from './sales.read-invoices.ts'
import { returnItems } from './sales.return-items.ts'
import type { SalesContext } from './sales.rules.ts'
import type {
  CreateInvoiceInput,
  Invoice,
  EditInvoiceInput,
  ListInvoicesQuery,
  ListReturnsQuery,
  PayInvoiceInput,
  ReturnInput,
  ReturnResult,
  SubmitInvoiceInput,
} from './sales.schemas.ts'
import { submitInvoice } from './sales.submit-invoice.ts'

export interface SalesServiceOptions {
  /** how long an Idempotency-Key replays its first response (default 24) */
  idempotencyKeyTtlHours?: number
  /** the app's cache tiers; a service built on its own gets a memory tier of its own */
  cache?: Cache
}

export function createSalesService(db: Db, options: SalesServiceOptions = {}) {
  const ctx: SalesContext = {
    db,
    writes: createIdempotentWriter(db, { ttlHours: options.idempotencyKeyTtlHours ?? 24, codePrefix: 'SALES' }),
    catalog: catalogCacheOf(options.cache ?? memoryOnlyCache(), db),
  }
  // after the commit, the products a sale, cancel or return moved (from the answer: no statement) — the storefront's stock badges
  const movedByInvoice = tellingStockMoved<Replayable<Invoice>>(db, ({ body, replayed }) =>
    replayed || body.status === 'draft' ? [] : body.lines.map((l) => l.productId),
  )
  const movedByReturn = tellingStockMoved<Replayable<ReturnResult>>(db, ({ body, replayed }) =>
    replayed ? [] : body.return.lines.map((l) => l.productId),
  )
  return {
    createInvoice: (principal: Principal, input: CreateInvoiceInput, options?: WriteOptions) =>
      createInvoice(ctx, principal, input, options).then(movedByInvoice),
    editInvoice: (principal: Principal, id: number, input: EditInvoiceInput, options?: WriteOptions) =>
      editInvoice(ctx, principal, id, input, options),
    payInvoice: (principal: Principal, id: number, input: PayInvoiceInput, options?: WriteOptions) =>
      payInvoice(ctx, principal, id, input, options),
    submitInvoice: (principal: Principal, id: number, input?: SubmitInvoiceInput, options?: WriteOptions) =>
      submitInvoice(ctx, principal, id, input, options).then(movedByInvoice),
    cancelInvoice: (principal: Principal, id: number, options?: WriteOptions) => cancelInvoice(ctx, principal, id, options).then(movedByInvoice),
    returnItems: (principal: Principal, id: number, input: ReturnInput, options?: WriteOptions) =>
      returnItems(ctx, principal, id, input, options).then(movedByReturn),
    getInvoice: (principal: Principal, id: number) => getInvoice(db, principal, id),
    listInvoices: (principal: Principal, query: ListInvoicesQuery) => listInvoices(db, principal, query),
    listReturns: (principal: Principal, query: ListReturnsQuery) => listReturns(db, principal, query),
  }
}

export type SalesService = ReturnType<typeof createSalesService>

import { Type } from 'typebox'
import { money } from '../../infra/decimal.ts'
import { IDEMPOTENT_DESCRIPTION, IdempotencyHeaders, sendWrite, writeOptionsOf } from '../../infra/http/idempotency.ts'
import { answerMinimal, fullOrMinimal, PreferHeader } from '../../infra/http/prefer.ts'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import {
  CreateInvoiceBody,
  EditInvoiceBody,
  Invoice,
  InvoicePage,
  InvoiceReceipt,
  ListInvoicesQuery,
  ListReturnsQuery,
  PayBody,
  ReturnBody,
  ReturnPage,
  ReturnResponse,
  SubmitBody,
} from './sales.schemas.ts'
import { MAX_INVOICE_SUBTOTAL } from './sales.lines.ts'
import { toReceipt } from './sales.mapping.ts'
import type { SalesService } from './sales.service.ts'

const tags = ['sales']
const writeErrors = errorResponses(400, 401, 403, 404, 409, 422)
const saleHeaders = Type.Object({ ...IdempotencyHeaders.properties, prefer: PreferHeader })
const invoiceOrReceipt = fullOrMinimal(Invoice, InvoiceReceipt)
const LIMITS = `An invoice's lines come to at most ${money(MAX_INVOICE_SUBTOTAL)} before tax (422 beyond).`

const createInvoice = {
  schema: {
    tags,
    summary: 'Create an invoice or sell at once',
    description: `Create a draft invoice, or with \`submit: true\` sell at once: invoice, lines, payments, stock, ledger and rollups in ONE SQL statement. 409 names every line short of stock. ${LIMITS} ${IDEMPOTENT_DESCRIPTION}`,
    headers: saleHeaders,
    body: CreateInvoiceBody,
    response: { 201: invoiceOrReceipt, ...writeErrors },
  },
}

const listInvoices = {
  schema: {
    tags,
    summary: 'List invoices',
    description:
      'Invoices of the locations the caller may see, with their lines, payments and returns, oldest first, filtered by ' +
      'location, status and creation time; one SQL statement per page. Pass `nextAfter` as `after` for the next page.',
    querystring: ListInvoicesQuery,
    response: { 200: InvoicePage, ...errorResponses(400, 401, 403, 422) },
  },
}

const getInvoice = {
  schema: {
    tags,
    summary: 'Get an invoice',
    description: 'One invoice with its lines, payments and returns, in one SQL statement.',
    params: IdParams,
    response: { 200: Invoice, ...errorResponses(400, 401, 403, 404) },
  },
}

const listReturns = {
  schema: {
    tags,
    summary: 'List returns',
    description:
      'Returns of the locations the caller may see, with their lines, oldest first, filtered by location and time; ' +
      'one SQL statement per page. Pass `nextAfter` as `after` for the next page.',
    querystring: ListReturnsQuery,
    response: { 200: ReturnPage, ...errorResponses(400, 401, 403, 422) },
  },
}

const editInvoice = {
  schema: {
    tags,
    summary: 'Edit a draft invoice',
    description: `Edit a draft: add, change and remove lines, set the invoice discount or note. ${LIMITS} ${IDEMPOTENT_DESCRIPTION}`,
    params: IdParams,
    headers: IdempotencyHeaders,
    body: EditInvoiceBody,
    response: { 200: Invoice, ...writeErrors },
  },
}

const payInvoice = {
  schema: {
    tags,
    summary: 'Pay a draft invoice',
    description: `Pay a draft: cash (change computed), card, or several tenders. ${IDEMPOTENT_DESCRIPTION}`,
    params: IdParams,
    headers: IdempotencyHeaders,
    body: PayBody,
    response: { 200: Invoice, ...writeErrors },
  },
}

const submitInvoice = {
  schema: {
    tags,
    summary: 'Submit a draft invoice',
    description: `Submit a draft that is paid in full (payments may come with it): stock, ledger and rollups in one transaction of 4 statements. 409 names every line short of stock. ${IDEMPOTENT_DESCRIPTION}`,
    params: IdParams,
    headers: saleHeaders,
    body: SubmitBody,
    response: { 200: invoiceOrReceipt, ...writeErrors },
  },
}

const cancelInvoice = {
  schema: {
    tags,
    summary: 'Cancel an invoice',
    description: `Cancel a draft, or a submitted invoice without returns (manager or admin): stock and rollups restored. ${IDEMPOTENT_DESCRIPTION}`,
    params: IdParams,
    headers: IdempotencyHeaders,
    response: { 200: Invoice, ...errorResponses(401, 403, 404, 409, 422) },
  },
}

const returnItems = {
  schema: {
    tags,
    summary: 'Return items of an invoice',
    description: `Return part of a submitted invoice (never more than was sold): stock, ledger and rollups restored. ${IDEMPOTENT_DESCRIPTION}`,
    params: IdParams,
    headers: IdempotencyHeaders,
    body: ReturnBody,
    response: { 201: ReturnResponse, ...writeErrors },
  },
}

/** Thin: schema → service → reply. */
export function registerSalesRoutes(app: HttpServer, sales: SalesService): void {
  app.post('/api/sales/invoices', createInvoice, async (request, reply) => {
    const invoice = sendWrite(reply, 201, await sales.createInvoice(principalOf(request), request.body, writeOptionsOf(request.headers)))
    return answerMinimal(request, reply) ? toReceipt(invoice) : invoice
  })
  app.get('/api/sales/invoices', listInvoices, async (request) => sales.listInvoices(principalOf(request), request.query))
  app.get('/api/sales/invoices/:id', getInvoice, async (request) => sales.getInvoice(principalOf(request), request.params.id))
  app.get('/api/sales/returns', listReturns, async (request) => sales.listReturns(principalOf(request), request.query))
  app.patch('/api/sales/invoices/:id', editInvoice, async (request, reply) => {
    const { params, body, headers } = request
    return sendWrite(reply, 200, await sales.editInvoice(principalOf(request), params.id, body, writeOptionsOf(headers)))
  })
  app.post('/api/sales/invoices/:id/payments', payInvoice, async (request, reply) => {
    const { params, body, headers } = request
    return sendWrite(reply, 200, await sales.payInvoice(principalOf(request), params.id, body, writeOptionsOf(headers)))
  })
  app.post('/api/sales/invoices/:id/submit', submitInvoice, async (request, reply) => {
    const { params, body, headers } = request
    const invoice = sendWrite(reply, 200, await sales.submitInvoice(principalOf(request), params.id, body ?? {}, writeOptionsOf(headers)))
    return answerMinimal(request, reply) ? toReceipt(invoice) : invoice
  })
  app.post('/api/sales/invoices/:id/cancel', cancelInvoice, async (request, reply) =>
    sendWrite(reply, 200, await sales.cancelInvoice(principalOf(request), request.params.id, writeOptionsOf(request.headers))),
  )
  app.post('/api/sales/invoices/:id/returns', returnItems, async (request, reply) => {
    const { params, body, headers } = request
    return sendWrite(reply, 201, await sales.returnItems(principalOf(request), params.id, body, writeOptionsOf(headers)))
  })
}

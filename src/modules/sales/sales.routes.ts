import { IDEMPOTENT_DESCRIPTION, IdempotencyHeaders, sendWrite as send, writeOptionsOf as key } from '../../infra/http/idempotency.ts'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import {
  CreateInvoiceBody,
  EditInvoiceBody,
  Invoice,
  InvoicePage,
  ListInvoicesQuery,
  PayBody,
  ReturnBody,
  ReturnResponse,
  SubmitBody,
} from './sales.schemas.ts'
import type { SalesService } from './sales.service.ts'

const tags = ['sales']
const idempotent = IDEMPOTENT_DESCRIPTION

export function registerSalesRoutes(app: HttpServer, sales: SalesService): void {
  app.post(
    '/api/sales/invoices',
    {
      schema: {
        tags,
        description: `Create a draft invoice, or with \`submit: true\` sell at once: invoice, lines, payments, stock, ledger and rollups in ONE SQL statement. 409 names every line short of stock. ${idempotent}`,
        headers: IdempotencyHeaders,
        body: CreateInvoiceBody,
        response: { 201: Invoice, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      send(reply, 201, await sales.createInvoice(principalOf(request), request.body, key(request.headers))),
  )

  app.get(
    '/api/sales/invoices',
    {
      schema: {
        tags,
        description: 'Invoices with their lines and payments, oldest first (one SQL statement per page).',
        querystring: ListInvoicesQuery,
        response: { 200: InvoicePage, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => sales.listInvoices(principalOf(request), request.query),
  )

  app.get(
    '/api/sales/invoices/:id',
    { schema: { tags, params: IdParams, response: { 200: Invoice, ...errorResponses(401, 403, 404) } } },
    async (request) => sales.getInvoice(principalOf(request), request.params.id),
  )

  app.patch(
    '/api/sales/invoices/:id',
    {
      schema: {
        tags,
        description: `Edit a draft: add, change and remove lines, set the invoice discount or note. ${idempotent}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: EditInvoiceBody,
        response: { 200: Invoice, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      send(reply, 200, await sales.editInvoice(principalOf(request), request.params.id, request.body, key(request.headers))),
  )

  app.post(
    '/api/sales/invoices/:id/payments',
    {
      schema: {
        tags,
        description: `Pay a draft: cash (change computed), card, or several tenders. ${idempotent}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: PayBody,
        response: { 200: Invoice, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      send(reply, 200, await sales.payInvoice(principalOf(request), request.params.id, request.body, key(request.headers))),
  )

  app.post(
    '/api/sales/invoices/:id/submit',
    {
      schema: {
        tags,
        description: `Submit a draft that is paid in full (payments may come with it): stock, ledger and rollups in one transaction of 4 statements. 409 names every line short of stock. ${idempotent}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: SubmitBody,
        response: { 200: Invoice, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      send(
        reply,
        200,
        await sales.submitInvoice(principalOf(request), request.params.id, request.body ?? {}, key(request.headers)),
      ),
  )

  app.post(
    '/api/sales/invoices/:id/cancel',
    {
      schema: {
        tags,
        description: `Cancel a draft, or a submitted invoice without returns (manager or admin): stock and rollups restored. ${idempotent}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        response: { 200: Invoice, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      send(reply, 200, await sales.cancelInvoice(principalOf(request), request.params.id, key(request.headers))),
  )

  app.post(
    '/api/sales/invoices/:id/returns',
    {
      schema: {
        tags,
        description: `Return part of a submitted invoice (never more than was sold): stock, ledger and rollups restored. ${idempotent}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ReturnBody,
        response: { 201: ReturnResponse, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      send(reply, 201, await sales.returnItems(principalOf(request), request.params.id, request.body, key(request.headers))),
  )
}

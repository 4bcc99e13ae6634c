/**
 * Every repository statement's SQL, checked against the `*.repository.sql` file beside its
 * repository. Refresh after an intended change with:
 *   BRISK_UPDATE_SQL_SNAPSHOTS=1 npm test -- sql-snapshots
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import * as batchLog from '../src/infra/batch-log/batch-log.repository.ts'
import * as idempotency from '../src/infra/idempotency/idempotency.repository.ts'
import * as access from '../src/modules/access/access.repository.ts'
import * as activity from '../src/modules/activity/activity.repository.ts'
import * as catalog from '../src/modules/catalog/catalog.repository.ts'
import * as customers from '../src/modules/customers/customers.repository.ts'
import * as inventory from '../src/modules/inventory/inventory.repository.ts'
import * as orders from '../src/modules/orders/orders.repository.ts'
import * as imports from '../src/modules/imports/imports.repository.ts'
import * as importScores from '../src/modules/imports/imports.scores.ts'
import * as importStock from '../src/modules/imports/imports.stock.ts'
import * as importViews from '../src/modules/imports/imports.views.ts'
import * as batches from '../src/modules/orders/orders.batch.repository.ts'
import * as lifecycle from '../src/modules/orders/orders.lifecycle.repository.ts'
import * as placement from '../src/modules/orders/orders.placement.repository.ts'
import * as orderReads from '../src/modules/orders/orders.read.repository.ts'
import * as reporting from '../src/modules/reporting/reporting.repository.ts'
import * as sales from '../src/modules/sales/sales.repository.ts'
import * as storefront from '../src/modules/storefront/storefront.repository.ts'
import type { SalesEffect } from '../src/modules/sales/sales.effects.ts'
import type { NewInvoiceLine } from '../src/modules/sales/sales.tables.ts'
import { sql } from 'kysely'
import { functionsWithoutCase, lineDiff, type RepositorySnapshot, renderSnapshot } from './sql-snapshots.ts'

const root = path.resolve(import.meta.dirname, '..')
const update = process.env['BRISK_UPDATE_SQL_SNAPSHOTS'] === '1'

const line: NewInvoiceLine = {
  position: 0,
  product_id: 1,
  sku: 'SKU-1',
  name: 'Product',
  unit: 'each',
  quantity: '1',
  factor: '1',
  base_quantity: '1',
  unit_price: '2.50',
  price_overridden: false,
  tax_rate: '10',
  gross_amount: '2.50',
  discount_percent: null,
  discount_amount: '0.00',
  invoice_discount_amount: '0.00',
  net_amount: '2.50',
  tax_amount: '0.25',
  total_amount: '2.75',
}
const totals = {
  discount_percent: null,
  discount_amount: '0.00',
  subtotal: '2.50',
  line_discount_total: '0.00',
  net_total: '2.50',
  tax_total: '0.25',
  total: '2.75',
  line_count: 1,
}
const payment = { method: 'cash' as const, amount: '2.75', tendered: '5.00', change: '2.25', reference: null }
const effect = (kind: SalesEffect['kind']): SalesEffect => ({
  kind,
  locationId: 1,
  tokenId: 1,
  totals: { invoices: 1, returns: 0, netAmount: '2.5', taxAmount: '0.25', totalAmount: '2.75', discountAmount: '0' },
})
const at = new Date('2026-01-01T00:00:00Z')
const newInvoice = (submit: boolean): sales.NewInvoice => ({
  ...totals,
  location_id: 1,
  status: submit ? 'submitted' : 'draft',
  note: null,
  paid_total: submit ? '2.75' : '0.00',
  change_due: '0.00',
  created_by: 1,
  lines: [line],
  payments: submit ? [payment] : [],
  catalog: [{ position: 0, price: '2.50' }],
  effect: submit ? effect('sale') : null,
})
const newOrder: placement.NewOrder = {
  id: 1,
  at,
  cart: { id: 1, version: 1 },
  customerId: null,
  email: 'guest@example.com',
  accessTokenHash: 't',
  status: 'paid',
  shippingMethod: { id: 1, name: 'Standard' },
  shippingAddress: { name: 'Ada', country: 'DE' },
  shippingCountry: 'DE',
  subtotal: '2.50',
  taxTotal: '0.25',
  shippingTotal: '4.90',
  total: '7.65',
  goodsTotal: '2.75',
  paymentProvider: 'test',
  paymentReference: 'test_1',
  paidTotal: '7.65',
  lines: [{ id: 1, position: 0, product_id: 1, sku: 'SKU-1', name: 'Product', unit: 'each', quantity: '1', factor: '1', base_quantity: '1', unit_price: '2.50', tax_rate: '10', net_amount: '2.50', tax_amount: '0.25', total_amount: '2.75' }],
  catalog: [{ position: 0, price: '2.50' }],
  actor: 'guest',
}
const chunkContext = { tokenId: 1, runId: 7, options: { locationId: 1 } }
/** An import chunk's run advance, and a view row (the import kinds' statements carry the advance). */
const advance = { id: 7, from: 0, rows: 1, parseRejects: 0, status: 'running' } as const
const viewRow = { line: 1, row: { sku: 'A', productId: null, customerId: 1, sessionId: null, source: 'import', viewedAt: null } }
const claimedKey = {
  id: 1,
  storeInStatement: (response: unknown, patch?: idempotency.ResponsePatch) => idempotency.storeResponseCte(1, response, patch),
}
const storeResponse = idempotency.storeResponseCte(1, { id: 1 })
const event = { kind: 'paid', from: 'placed', to: 'paid', actor: 'token:1', detail: {} } as const

const repositories: RepositorySnapshot[] = [
  {
    file: 'src/modules/sales/sales.repository.ts',
    exports: sales,
    cases: {
      lockInvoice: (_db, trx) => sales.lockInvoice(trx, 1),
      lockInvoiceForReturn: (_db, trx) => sales.lockInvoiceForReturn(trx, 1),
      findInvoice: (db) => sales.findInvoice(db, 1),
      listInvoices: (db) => sales.listInvoices(db, { locationIds: [1], status: 'submitted', from: at, to: at, after: 1, limit: 50 }),
      listReturns: (db) => sales.listReturns(db, { locationIds: [1], from: at, to: at, after: 1, limit: 50 }),
      'insertInvoice: checkout (draft + paid + submitted in one statement)': (db) => sales.insertInvoice(db, newInvoice(true)),
      'insertInvoice: draft': (db) => sales.insertInvoice(db, newInvoice(false)),
      updateDraft: (_db, trx) =>
        sales.updateDraft(trx, { invoiceId: 1, note: null, totals, removeIds: [2], updates: [{ ...line, id: 1 }], inserts: [line] }),
      'updatePayments: pay': (_db, trx) =>
        sales.updatePayments(trx, {
          invoiceId: 1,
          payments: [payment],
          paidTotal: '2.75',
          changeDue: '2.25',
          submit: false,
          storeResponse: null,
          effect: null,
          at,
        }),
      'updatePayments: submit with an idempotency key': (_db, trx) =>
        sales.updatePayments(trx, {
          invoiceId: 1,
          payments: [payment],
          paidTotal: '2.75',
          changeDue: '2.25',
          submit: true,
          storeResponse,
          effect: effect('sale'),
          at,
        }),
      'markCancelled: a submitted invoice': (_db, trx) => sales.markCancelled(trx, 1, null, { effect: effect('cancel'), submittedAt: at }),
      insertReturn: (_db, trx) =>
        sales.insertReturn(trx, {
          id: 1,
          invoiceId: 1,
          locationId: 1,
          reason: null,
          refundMethod: 'cash',
          netAmount: '2.50',
          taxAmount: '0.25',
          totalAmount: '2.75',
          tokenId: 1,
          lines: [
            {
              invoice_line_id: 1,
              product_id: 1,
              quantity: '1',
              base_quantity: '1',
              net_amount: '2.50',
              tax_amount: '0.25',
              total_amount: '2.75',
            },
          ],
          storeResponse: claimedKey.storeInStatement({ return: { id: 1 } }),
          effect: effect('return'),
          at,
        }),
    },
  },
  {
    file: 'src/infra/idempotency/idempotency.repository.ts',
    exports: idempotency,
    cases: {
      storeResponseCte: (db) => db.executeQuery(idempotency.storeResponseCte(1, { id: 1 }).compile(db)),
      storeResponse: (db) => idempotency.storeResponse(db, 1, { id: 1 }),
      findIdempotencyKey: (db) => idempotency.findIdempotencyKey(db, 'token:1', 'key'),
      claimUnexpiredIdempotencyKey: (db) =>
        idempotency.claimUnexpiredIdempotencyKey(db, { scope: 'token:1', key: 'key', operation: 'op', requestHash: 'h', ttlHours: 24 }),
      deleteExpiredIdempotencyKeys: (db) => idempotency.deleteExpiredIdempotencyKeys(db, at, 1000),
      claimWithResponseCte: (db) =>
        db.executeQuery(
          sql`with ${idempotency.claimWithResponseCte(
            { scope: 'cart:h', key: 'key', operation: 'place order', requestHash: 'h', ttlHours: 24 },
            { id: 1 },
            { patch: { path: '{locationId}', value: sql`1` }, when: sql`true` },
          )} select id from claim`.compile(db),
        ),
    },
  },
  {
    file: 'src/modules/inventory/inventory.repository.ts',
    exports: inventory,
    cases: {
      applyStockMovements: (db) =>
        inventory.applyStockMovements(db, [{ locationId: 1, productId: 1, delta: '-1', reason: 'adjustment' }], {
          reference: 'ref',
          tokenId: 1,
        }),
      findLocation: (db) => inventory.findLocation(db, 1),
      findLocationsByIds: (db) => inventory.findLocationsByIds(db, [1, 2]),
      listLocationIds: (db) => inventory.listLocationIds(db),
      insertLocation: (db) => inventory.insertLocation(db, { code: 'MAIN', name: 'Main', kind: 'store', allowNegativeStock: false }),
      updateLocation: (db) => inventory.updateLocation(db, 1, { name: 'Main', kind: 'store', allowNegativeStock: true }),
      listStockLevels: (db) => inventory.listStockLevels(db, 1, { productIds: [1], after: 1, limit: 50 }),
      listLedger: (db) => inventory.listLedger(db, 1, { productId: 1, reason: 'sale', before: 1, limit: 50 }),
      sumOnlineStock: (db) => inventory.sumOnlineStock(db, [1, 2]),
    },
  },
  {
    file: 'src/modules/reporting/reporting.repository.ts',
    exports: reporting,
    cases: {
      applySalesRollups: (db) =>
        reporting.applySalesRollups(db, {
          channel: 'pos',
          locationId: 1,
          at,
          invoiceId: 1,
          invoices: 1,
          returns: 0,
          netAmount: '1',
          taxAmount: '0',
          totalAmount: '1',
          discountAmount: '0',
          products: [{ productId: 1, quantity: '1', netAmount: '1', taxAmount: '0', totalAmount: '1' }],
        }),
      readHourlySales: (db) => reporting.readHourlySales(db, { locationId: 1, date: '2026-01-01', timeZone: 'Europe/Berlin' }),
      readTopProducts: (db) =>
        reporting.readTopProducts(db, {
          locationId: 1,
          fromDate: '2026-01-01',
          toDate: '2026-01-31',
          timeZone: 'UTC',
          limit: 10,
          by: 'total',
          channel: 'online',
        }),
    },
  },
  {
    file: 'src/modules/catalog/catalog.repository.ts',
    exports: catalog,
    cases: {
      listUnits: (db) => catalog.listUnits(db),
      insertUnit: (db) => catalog.insertUnit(db, { code: 'kg', name: 'kilogram' }),
      findUnitCodes: (db) => catalog.findUnitCodes(db, ['kg']),
      listCategories: (db) => catalog.listCategories(db),
      findCategory: (db) => catalog.findCategory(db, 1),
      insertCategory: (db) => catalog.insertCategory(db, { name: 'Cheese', parentId: null }),
      insertMissingCategories: (db) => catalog.insertMissingCategories(db, ['Cheese']),
      findProductDocs: (db) => catalog.findProductDocs(db, { ids: [1], skus: ['SKU-1'] }),
      findCategoriesByIds: (db) => catalog.findCategoriesByIds(db, [1]),
      listProductIds: (db) => catalog.listProductIds(db, { after: 1, categoryId: 1, active: true, q: 'tea', limit: 50 }),
      findProductsByCodes: (db) => catalog.findProductsByCodes(db, ['4007']),
      lockProduct: (_db, trx) => catalog.lockProduct(trx, 1),
      findBulkReferences: (db) => catalog.findBulkReferences(db, { unitCodes: ['kg'], skus: ['SKU-1'], barcodes: ['4007'] }),
      findBarcodeOwners: (db) => catalog.findBarcodeOwners(db, ['4007']),
      insertProduct: (db) =>
        catalog.insertProduct(db, {
          sku: 'SKU-1',
          barcode: null,
          name: 'Tea',
          description: '',
          categoryId: null,
          baseUnit: 'each',
          price: '1.00',
          taxRate: '7',
          active: true,
        }),
      updateProduct: (db) => catalog.updateProduct(db, 1, { name: 'Tea', price: '1.10' }),
      upsertProducts: (db) =>
        catalog.upsertProducts(db, [
          {
            sku: 'SKU-1',
            barcode: undefined,
            name: 'Tea',
            description: undefined,
            category: 'Drinks',
            baseUnit: 'each',
            price: '1.00',
            taxRate: undefined,
            active: undefined,
          },
        ]),
      replaceProductUnits: (db) => catalog.replaceProductUnits(db, [1], [{ productId: 1, unit: 'box12', factor: '12', barcode: null }]),
    },
  },
  {
    file: 'src/modules/access/access.repository.ts',
    exports: access,
    cases: {
      insertToken: (db) => access.insertToken(db, { name: 'till', role: 'cashier', tokenHash: 'hash', locationIds: [1] }),
      findActiveTokensByHash: (db) => access.findActiveTokensByHash(db, ['hash']),
      listTokens: (db) => access.listTokens(db),
      revokeToken: (db) => access.revokeToken(db, 1),
      findLocationIdsByCode: (db) => access.findLocationIdsByCode(db, ['MAIN']),
    },
  },
  {
    file: 'src/modules/customers/customers.repository.ts',
    exports: customers,
    cases: {
      insertCustomerWithSession: (db) =>
        customers.insertCustomerWithSession(db, { email: 'a@example.com', name: 'Ada', passwordHash: 'h', tokenHash: 't', expiresAt: at }),
      findCustomerForSignIn: (db) => customers.findCustomerForSignIn(db, 'a@example.com'),
      insertSession: (db) => customers.insertSession(db, { customerId: 1, tokenHash: 't', expiresAt: at }),
      findSessionCustomer: (db) => customers.findSessionCustomer(db, 't'),
      revokeSession: (db) => customers.revokeSession(db, 1),
      revokeOtherSessions: (db) => customers.revokeOtherSessions(db, 1, 2),
      lockCustomer: (_db, trx) => customers.lockCustomer(trx, 1),
      findPasswordHash: (db) => customers.findPasswordHash(db, 1),
      'updateCustomer: name': (db) => customers.updateCustomer(db, 1, { name: 'Ada' }),
      'updateCustomer: password checked against the stored hash': (db) =>
        customers.updateCustomer(db, 1, { name: 'Ada', passwordHash: 'new', ifPasswordHash: 'old' }),
      replacePasswordHash: (db) => customers.replacePasswordHash(db, 1, { previous: 'old', next: 'new' }),
      listAddresses: (db) => customers.listAddresses(db, 1),
      insertAddress: (db) => customers.insertAddress(db, 1, { label: null, name: 'Ada', line1: '1 Main St', line2: null, city: 'Berlin', postal_code: '10115', country: 'DE', phone: null, is_default: false }),
      updateAddress: (db) => customers.updateAddress(db, 1, 2, { city: 'Paris', country: 'FR' }),
      clearDefaultAddress: (_db, trx) => customers.clearDefaultAddress(trx, 1, 2),
      deleteAddress: (db) => customers.deleteAddress(db, 1, 2),
    },
  },
  {
    file: 'src/modules/orders/orders.repository.ts',
    exports: orders,
    cases: {
      insertGuestCart: (db) => orders.insertGuestCart(db, { tokenHash: 't', expiresAt: at }),
      insertGuestCartWithLines: (db) =>
        orders.insertGuestCartWithLines(db, { tokenHash: 't', expiresAt: at }, [{ product_id: 1, unit: 'each', quantity: '2' }]),
      upsertCustomerCart: (db) => orders.upsertCustomerCart(db, { customerId: 1, expiresAt: at }),
      deleteExpiredCustomerCart: (db) => orders.deleteExpiredCustomerCart(db, 1),
      'touchCart: a guest': (db) => orders.touchCart(db, { tokenHash: 't' }, at),
      'touchCart: a customer': (db) => orders.touchCart(db, { customerId: 1 }, at),
      'findCartWithLines: a guest': (db) => orders.findCartWithLines(db, { tokenHash: 't' }),
      'findCartWithLines: a customer': (db) => orders.findCartWithLines(db, { customerId: 1 }),
      listCartLines: (db) => orders.listCartLines(db, 1),
      removeCartLines: (db) => orders.removeCartLines(db, 1, [2, 3]),
      changeCartLineQuantities: (db) => orders.changeCartLineQuantities(db, 1, [{ id: 2, quantity: '3' }]),
      addCartLines: (db) => orders.addCartLines(db, 1, [{ product_id: 1, unit: 'each', quantity: '2' }]),
      deleteAllCartLines: (db) => orders.deleteAllCartLines(db, 1),
      mergeCartInto: (db) => orders.mergeCartInto(db, 1, 2),
      deleteExpiredCarts: (db) => orders.deleteExpiredCarts(db, 1000),
      'listShippingMethodsWithRates: all': (db) => orders.listShippingMethodsWithRates(db),
      'listShippingMethodsWithRates: one': (db) => orders.listShippingMethodsWithRates(db, 1),
      insertShippingMethod: (db) =>
        orders.insertShippingMethod(db, { code: 'standard', name: 'Standard', active: true, position: 0 }, [{ country: 'DE', price: '4.90', free_over: '50.00' }]),
      updateShippingMethod: (db) => orders.updateShippingMethod(db, 1, { name: 'Standard', active: false, position: 2 }),
      replaceShippingRates: (db) => orders.replaceShippingRates(db, 1, [{ country: 'DE', price: '4.90', free_over: null }]),
      findShippingRatesForCountry: (db) => orders.findShippingRatesForCountry(db, 'DE'),
    },
  },
  {
    file: 'src/modules/orders/orders.placement.repository.ts',
    exports: placement,
    cases: {
      'findCheckoutCart: a guest': (db) => placement.findCheckoutCart(db, { tokenHash: 't' }, { methodCode: 'standard', country: 'DE' }),
      'findCheckoutCart: a customer': (db) => placement.findCheckoutCart(db, { customerId: 1 }, { methodCode: 'standard', country: 'DE' }),
      'insertOrder: with its key claimed': (db) =>
        placement.insertOrder(db, newOrder, idempotency.claimWithResponseCte({ scope: 'cart:t', key: 'k', operation: 'place order', requestHash: 'h', ttlHours: 24 }, { id: 1 }, { patch: { path: '{locationId}', value: placement.FULFILLING_LOCATION }, when: placement.READY_TO_PLACE })),
      insertOrder: (db) => placement.insertOrder(db, newOrder, null),
    },
  },
  {
    file: 'src/modules/orders/orders.read.repository.ts',
    exports: orderReads,
    cases: {
      'findOrder: a customer': (db) => orderReads.findOrder(db, 1, { customerId: 1 }),
      'findOrder: a guest': (db) => orderReads.findOrder(db, 1, { accessTokenHash: 't' }),
      'findOrder: staff of some locations': (db) => orderReads.findOrder(db, 1, { locationIds: [1, 2] }),
      'listOrders: staff of every location': (db) =>
        orderReads.listOrders(db, { locationIds: undefined }, { status: 'paid', from: at, to: at, before: 10, limit: 20 }),
    },
  },
  {
    file: 'src/modules/orders/orders.lifecycle.repository.ts',
    exports: lifecycle,
  cases: {
    'lockOrder: a change, staff of every location': (_db, trx) => lifecycle.lockOrder(trx, 1, undefined),
    'lockOrder: a return, staff of some locations': (_db, trx) => lifecycle.lockOrder(trx, 1, [1, 2], { locationId: null }),
    findOrderWithHistory: (db) => lifecycle.findOrderWithHistory(db, 1, [1]),
    'changeOrder: pay, with a stored response': (_db, trx) =>
      lifecycle.changeOrder(trx, { orderId: 1, at, status: 'paid', paidTotal: '7.65', stamp: 'paid_at', event, storeResponse, cancel: null }),
    'changeOrder: cancel': (_db, trx) =>
      lifecycle.changeOrder(trx, {
        orderId: 1,
        at,
        status: 'cancelled',
        refundedTotal: '7.65',
        stamp: 'cancelled_at',
        event: { ...event, kind: 'cancelled', from: 'paid', to: 'cancelled' },
        storeResponse: null,
        cancel: { locationId: 1, createdAt: at, subtotal: '2.50', taxTotal: '0.25', goodsTotal: '2.75', tokenId: 1 },
      }),
    insertOrderReturn: (_db, trx) =>
      lifecycle.insertOrderReturn(trx, {
        id: 1,
        orderId: 1,
        locationId: 1,
        reason: null,
        netAmount: '2.50',
        taxAmount: '0.25',
        totalAmount: '2.75',
        tokenId: 1,
        lines: [{ order_line_id: 1, product_id: 1, quantity: '1', base_quantity: '1', net_amount: '2.50', tax_amount: '0.25', total_amount: '2.75' }],
        at,
        event: { ...event, kind: 'returned', from: 'fulfilled', to: 'fulfilled' },
        storeResponse,
      }),
  },
  },
  {
    file: 'src/modules/orders/orders.batch.repository.ts',
    exports: batches,
    cases: {
      'transitionOrders: pay, staff of every location': (db) =>
        batches.transitionOrders(db, { action: 'pay', items: [{ id: 1, trackingReference: null }], locationIds: null, at, actor: 'token:1', batchId: 1 }),
      'transitionOrders: fulfil, staff of some locations': (db) =>
        batches.transitionOrders(db, { action: 'fulfil', items: [{ id: 1, trackingReference: 'DHL-1' }], locationIds: [1, 2], at, actor: 'token:1', batchId: 1 }),
      findImportProducts: (db) => batches.findImportProducts(db, ['SKU-1'], 1),
      insertImportedOrders: (db) =>
        batches.insertImportedOrders(db, {
          source: 'marketplace:acme',
          paymentProvider: 'marketplace',
          locationId: 1,
          allowNegativeStock: false,
          orders: [
            { n: 0, external_ref: 'A-1', email: 'a@example.com', shipping_address: '{}', shipping_country: 'DE', status: 'paid', subtotal: '2.50', tax_total: '0.25', shipping_total: '0', total: '2.75', paid_total: '2.75', line_count: 1 },
          ],
          lines: [{ n: 0, position: 0, product_id: 1, sku: 'SKU-1', name: 'Product', unit: 'each', quantity: '1', factor: '1', base_quantity: '1', unit_price: '2.50', tax_rate: '10', net_amount: '2.50', tax_amount: '0.25', total_amount: '2.75' }],
          at,
          actor: 'token:1',
          batchId: 1,
        }),
    },
  },
  {
    file: 'src/infra/batch-log/batch-log.repository.ts',
    exports: batchLog,
    cases: {
      insertBatch: (db) => batchLog.insertBatch(db, { operation: 'orders.mark-paid', tokenId: 1, rowsTotal: 10 }),
      finishBatch: (db) =>
        batchLog.finishBatch(db, 1, { status: 'succeeded', rowsSucceeded: 10, rowsFailed: 0, statements: 3, durationMs: 1.5, detail: { errors: [] } }),
      listBatches: (db) => batchLog.listBatches(db, { operation: 'orders.mark-paid', tokenId: 1, before: 10, limit: 20 }),
      findBatch: (db) => batchLog.findBatch(db, 1),
      'insertBatch: an import, resumed': (db) =>
        batchLog.insertBatch(db, { operation: 'import.views', tokenId: null, rowsTotal: 0, source: 'views.jsonl', resumed: true }),
      'finishBatch: an import': (db) =>
        batchLog.finishBatch(db, 1, {
          status: 'partial',
          rowsSucceeded: 9,
          rowsFailed: 1,
          statements: 9,
          durationMs: 1.5,
          detail: { errors: [] },
          rowsTotal: 10,
          chunks: 1,
          databaseMs: 0.8,
          error: null,
        }),
      abandonBatch: (db) => batchLog.abandonBatch(db, 1, 'interrupted; continued by batch 2'),
    },
  },
  {
    file: 'src/modules/imports/imports.repository.ts',
    exports: imports,
    cases: {
      findUnfinishedRun: (db) => imports.findUnfinishedRun(db, 'views', 'f1'),
      findRun: (db) => imports.findRun(db, 1),
      'insertRunAlongside: a new run, in its batch\'s first statement': (db) =>
        batchLog.insertBatch(
          db,
          { operation: 'import.stock', tokenId: null, rowsTotal: 0, source: 'counts.csv' },
          imports.insertRunAlongside({ kind: 'stock', source: 'counts.csv', fingerprint: 'f1', chunkSize: 1000, options: { locationId: 1 } }),
        ),
      'restartRunAlongside: a resumed run': (db) =>
        batchLog.insertBatch(db, { operation: 'import.views', tokenId: null, rowsTotal: 0, resumed: true }, imports.restartRunAlongside(1)),
      'writeChunkAndAdvanceRun: a one-statement chunk': (db) =>
        imports.writeChunkAndAdvanceRun(db, importViews.viewsKind.chunkCtes([viewRow], chunkContext), { id: 1, from: 1000, rows: 1000, parseRejects: 2, status: 'running' }),
      'chunkOutcomeOf: a chunk its transaction wrote, the input\'s last': (_db, trx) =>
        imports.writeChunkAndAdvanceRun(trx, imports.chunkOutcomeOf({ written: 990, rejects: [] }), { id: 1, from: 1000, rows: 1000, parseRejects: 10, status: 'succeeded' }),
      finishRun: (db) => imports.finishRun(db, 1, 'succeeded'),
    },
  },
  {
    file: 'src/modules/imports/imports.stock.ts',
    exports: importStock,
    cases: {
      'stockKind.checkOptions': (db) => importStock.stockKind.checkOptions!(db, { location: 'MAIN' }),
      'stockKind.chunkCtes': (db) =>
        imports.writeChunkAndAdvanceRun(db, importStock.stockKind.chunkCtes([{ line: 1, row: { sku: 'A', quantity: '12', unit: null } }], chunkContext), advance),
    },
  },
  {
    file: 'src/modules/imports/imports.views.ts',
    exports: importViews,
    cases: {
      'viewsKind.chunkCtes': (db) => imports.writeChunkAndAdvanceRun(db, importViews.viewsKind.chunkCtes([viewRow], chunkContext), advance),
      'viewsKind.copyChunk: the products it has not seen yet, then COPY': (_db, trx) => importViews.viewsKind.copyChunk!(trx, [viewRow, { line: 2, row: { ...viewRow.row, sku: null, productId: 3 } }], chunkContext),
    },
  },
  {
    file: 'src/modules/imports/imports.scores.ts',
    exports: importScores,
    cases: {
      'scoresKind.chunkCtes': (db) =>
        imports.writeChunkAndAdvanceRun(
          db,
          importScores.scoresKind.chunkCtes([{ line: 1, row: { customerId: 1, sku: 'A', productId: null, algorithm: 'cf', score: '0.5' } }], chunkContext),
          advance,
        ),
    },
  },
  {
    file: 'src/modules/activity/activity.repository.ts',
    exports: activity,
    cases: {
      insertViews: (db) =>
        activity.insertViews(db, [{ index: 0, productId: 1, sku: null, customerId: 1, sessionId: null, source: 'web', viewedAt: null }]),
      findRecentViews: (db) => activity.findRecentViews(db, 1, 50),
      countViewsByDay: (db) => activity.countViewsByDay(db, { productId: 1, from: '2026-01-01', to: '2026-01-31', timeZone: 'UTC' }),
      upsertScores: (db) => activity.upsertScores(db, [{ index: 0, customerId: 1, productId: null, sku: 'SKU-1', algorithm: 'cf', score: '0.5' }]),
      findTopRecommendations: (db) => activity.findTopRecommendations(db, { customerId: 1, algorithm: 'cf', limit: 10 }),
      deleteOldViews: (db) => activity.deleteOldViews(db, 90, 1000),
    },
  },
  {
    file: 'src/modules/storefront/storefront.repository.ts',
    exports: storefront,
    cases: {
      findVisitorSummaries: (db) => storefront.findVisitorSummaries(db, [{ id: 'a.b', sessionHash: 'a', cartHash: 'b' }]),
    },
  },
]

for (const repository of repositories) {
  const snapshotFile = repository.file.replace(/\.ts$/, '.sql')
  test(`the SQL of ${repository.file} matches ${path.basename(snapshotFile)}`, async () => {
    assert.deepEqual(functionsWithoutCase(repository), [], 'every exported repository function has a case here')
    const actual = await renderSnapshot(repository)
    const full = path.join(root, snapshotFile)
    if (update) fs.writeFileSync(full, actual)
    const expected = fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : ''
    if (actual !== expected) {
      assert.fail(
        `The SQL of ${repository.file} differs from ${snapshotFile} (- snapshot, + now):\n${lineDiff(expected, actual)}\n\n` +
          'If the change is intended, refresh the snapshots and commit them:\n  BRISK_UPDATE_SQL_SNAPSHOTS=1 npm test -- sql-snapshots',
      )
    }
  })
}

/**
 * Adds, changes and removes lines of a draft and re-prices it: BEGIN, products (only when lines
 * are added), lock, lines + totals, COMMIT — 5 statements whatever the number of lines.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../infra/db/database.ts'
import { Big, money, parseDecimal } from '../../infra/decimal.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import type { Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal } from '../access/index.ts'
import {
  type Discount,
  fieldOf,
  namesForMessage,
  nameOfLine,
  resolveLines,
  sellableLinesOf,
  withFields,
} from '../catalog/index.ts'
import {
  discountOf,
  mayOverridePrice,
  NO_DISCOUNT,
  newWorkingLines,
  positiveQuantity,
  priceLines,
  refuseOverride,
  totalsOf,
  validateLineInputs,
  type WorkingLine,
  workingLineOf,
  ZERO,
} from './sales.lines.ts'
import { decimalText, moneyText, storedLine, toInvoice } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import { lockForWrite, requireDraft, type SalesContext } from './sales.rules.ts'
import type { EditInvoiceInput, Invoice } from './sales.schemas.ts'
import type { NewInvoiceLine } from './sales.tables.ts'

type LineChange = NonNullable<EditInvoiceInput['change']>[number]

export async function editInvoice(
  ctx: SalesContext,
  principal: Principal,
  id: number,
  input: EditInvoiceInput,
  options: WriteOptions = {},
): Promise<Replayable<Invoice>> {
  const add = input.add ?? []
  const remove = new Set(input.remove ?? [])
  validateLineInputs(add, 'add')
  const changes = validateChanges(input.change ?? [], remove)
  const write = { scope: idempotencyScopeOf(principal), operation: `edit invoice ${id}`, request: input, options }
  return ctx.writes.inTransaction(write, async (trx) => {
    // read in the transaction, from the database: what a transaction reads is never cached
    const resolved = sellableLinesOf(add.length > 0 ? await resolveLines(trx, add, 'add') : [])
    const record = await lockForWrite(trx, principal, id)
    requireDraft(record)
    requireLines(record, input)
    const kept = record.lines.filter((l) => !remove.has(l.id)).map((l) => changedLine(principal, l, changes.get(l.id)))
    const nextPosition = record.lines.reduce((max, l) => Math.max(max, l.position + 1), 0)
    const added = newWorkingLines(principal, add, resolved, nextPosition, 'add')
    return writeDraft(trx, record, { lines: [...kept, ...added], invoiceDiscount: invoiceDiscountOf(record, input), input })
  })
}

/** Every line the edit changes or removes is on the invoice; the error names each that is not. */
function requireLines(record: repo.InvoiceRecord, input: EditInvoiceInput): void {
  const stored = new Set(record.lines.map((l) => l.id))
  const unknown = [
    ...(input.change ?? []).map((c, i) => ({ path: `change[${i}]`, lineId: c.lineId })),
    ...(input.remove ?? []).map((lineId, i) => ({ path: `remove[${i}]`, lineId })),
  ].filter((l) => !stored.has(l.lineId))
  if (unknown.length > 0) {
    throw notFound(
      'SALES_LINE_NOT_FOUND',
      `Invoice ${record.id} has no such line: ${namesForMessage(unknown.map(nameOfLine))}.`,
      { lines: withFields(unknown) },
    )
  }
}

/** The requested line changes by line id; a line changed twice, or changed and removed, is refused. */
function validateChanges(change: readonly LineChange[], remove: ReadonlySet<number>): Map<number, { c: LineChange; i: number }> {
  const changes = new Map<number, { c: LineChange; i: number }>()
  change.forEach((c, i) => {
    if (changes.has(c.lineId) || remove.has(c.lineId)) {
      const path = `change[${i}]`
      throw invalid('SALES_LINE_TWICE', `${path}: invoice line ${c.lineId} is changed or removed twice.`, {
        field: fieldOf(path),
        lineId: c.lineId,
      })
    }
    changes.set(c.lineId, { c, i })
    if (c.quantity !== undefined) positiveQuantity(c.quantity, `change[${i}].quantity`)
    discountOf(c, `change[${i}]`)
  })
  return changes
}

/** A kept line with its requested change applied; a price change needs a manager or an admin. */
function changedLine(principal: Principal, stored: repo.InvoiceLineRecord, edit: { c: LineChange; i: number } | undefined): WorkingLine {
  const line = workingLineOf(stored)
  if (!edit) return line
  const { c, i } = edit
  line.origin = { path: `change[${i}]`, lineId: stored.id }
  if (c.quantity !== undefined) line.quantity = parseDecimal(c.quantity, `change[${i}].quantity`)
  if (c.unitPrice !== undefined) {
    const path = `change[${i}].unitPrice`
    const unitPrice = parseDecimal(c.unitPrice, path)
    if (unitPrice.lt(0)) throw invalid('SALES_INVALID_AMOUNT', `${path} must not be negative.`, { field: fieldOf(path) })
    if (!unitPrice.eq(line.unitPrice)) {
      if (!mayOverridePrice(principal)) throw refuseOverride(`change[${i}].unitPrice`)
      line.unitPrice = unitPrice
      line.priceOverridden = true
    }
  }
  line.discount = discountOf(c, `change[${i}]`) ?? line.discount
  return line
}

function invoiceDiscountOf(record: repo.InvoiceRecord, input: EditInvoiceInput): Discount {
  if (input.discountPercent !== undefined || input.discountAmount !== undefined) return discountOf(input, '') ?? NO_DISCOUNT
  return record.discount_percent !== null
    ? { percent: new Big(record.discount_percent), amount: ZERO }
    : { percent: null, amount: new Big(record.discount_amount) }
}

/** Re-prices the draft and writes only the lines whose stored values change, in one statement. */
async function writeDraft(
  trx: Transaction<Database>,
  record: repo.LockedInvoiceRecord,
  draft: { lines: WorkingLine[]; invoiceDiscount: Discount; input: EditInvoiceInput },
): Promise<Invoice> {
  const { lines, invoiceDiscount, input } = draft
  const { priced, rows } = priceLines(lines, invoiceDiscount)
  if (new Big(priced.total).lt(record.paid_total)) {
    throw conflict(
      'SALES_EDIT_BELOW_PAID',
      `The edit would make the total ${money(priced.total)} lower than the ${money(record.paid_total)} already paid.`,
    )
  }
  const totals = totalsOf(priced, invoiceDiscount, rows.length)
  const note = input.note !== undefined ? input.note : record.note
  const byId = new Map(record.lines.map((l) => [l.id, l]))
  const updates = rows.flatMap((row, i) => {
    const id = lines[i]!.id
    return id === undefined || sameLine(row, byId.get(id)!) ? [] : [{ ...row, id }]
  })
  const after = (insertedIds: { id: number; position: number }[]): Invoice => {
    const idByPosition = new Map(insertedIds.map((l) => [l.position, l.id]))
    return toInvoice({
      ...record,
      ...totals,
      note,
      updated_at: record.now,
      lines: rows.map((row, i) => {
        const lineId = lines[i]!.id ?? idByPosition.get(row.position)!
        return storedLine(row, lineId, byId.get(lineId))
      }),
    })
  }
  const insertedIds = await repo.updateDraft(trx, {
    invoiceId: record.id,
    note,
    totals,
    removeIds: [...(input.remove ?? [])],
    updates,
    inserts: rows.filter((_, i) => lines[i]!.id === undefined),
  })
  return after(insertedIds)
}

const MONEY_KEYS = new Set<keyof NewInvoiceLine>([
  'gross_amount',
  'discount_amount',
  'invoice_discount_amount',
  'net_amount',
  'tax_amount',
  'total_amount',
])
const DECIMAL_KEYS = new Set<keyof NewInvoiceLine>(['quantity', 'factor', 'base_quantity', 'unit_price', 'tax_rate', 'discount_percent'])

/** A line value in one canonical form, to tell which lines an edit really changed. */
function normalized(line: NewInvoiceLine, key: keyof NewInvoiceLine): string {
  const value = line[key]
  if (value === null || typeof value !== 'string') return String(value)
  if (MONEY_KEYS.has(key)) return moneyText(value)
  return DECIMAL_KEYS.has(key) ? decimalText(value) : value
}

function sameLine(row: NewInvoiceLine, stored: NewInvoiceLine): boolean {
  return (Object.keys(row) as (keyof NewInvoiceLine)[]).every((k) => normalized(row, k) === normalized(stored, k))
}

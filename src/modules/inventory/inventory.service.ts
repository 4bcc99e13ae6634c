import { type Cache, memoryOnlyCache } from '../../infra/cache/cache.ts'
import type { Db, Executor } from '../../infra/db/database.ts'
import { Big, baseQuantityOf, checkDecimal, decimalString, MAX_BASE_QUANTITY, parseDecimal, QUANTITY_LIMITS } from '../../infra/decimal.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireLocation, requireRole } from '../access/index.ts'
import { fieldOf, type LineRef, namesForMessage, type ResolvedLine, resolveLines } from '../catalog/index.ts'
import { type StockMovement, shortStockOf } from './inventory.fragments.ts'
import { type Location, locationsOn, toLocation } from './inventory.locations.ts'
import * as repo from './inventory.repository.ts'
import { notifyStockMoved } from './inventory.stock-moves.ts'
import type { StockReason } from './inventory.tables.ts'

export interface LabelledMovement extends StockMovement {
  /** the request lines it comes from, as paths (`lines[0]`), and the SKU, so a refusal can name them */
  lines: string[]
  sku: string
}

export interface ShortLine {
  /** the request lines asking for it, as JSON Pointers (`/lines/0`) */
  fields: string[]
  sku: string
  productId: number
  locationId: number
  requested: string
  available: string
}

/**
 * Applies the movements in one statement (summed per location and product there). Refuses the
 * whole set, naming every short line, if any would take a location that forbids it below zero;
 * the statement then wrote nothing, so no transaction is needed around it.
 */
export async function moveStockOrFail(
  db: Executor,
  movements: readonly LabelledMovement[],
  meta: { reference: string | null; tokenId: number | null },
): Promise<repo.MovementOutcome[]> {
  try {
    return await repo.applyStockMovements(db, movements, meta)
  } catch (error) {
    const short = shortStockOf(error)
    if (!short) throw error
    const named: string[] = []
    const lines = short.map((s): ShortLine => {
      const labelled = movements.filter((m) => m.locationId === s.locationId && m.productId === s.productId)
      const line = {
        ...s,
        requested: decimalString(s.requested),
        available: decimalString(s.available),
        fields: labelled.flatMap((m) => m.lines.map(fieldOf)),
        sku: labelled[0]?.sku ?? String(s.productId),
      }
      const amounts = `requested ${line.requested}, available ${line.available}`
      const paths = labelled.flatMap((m) => m.lines)
      named.push(paths.length > 0 ? `${paths.join(' and ')} (${line.sku}: ${amounts})` : `${line.sku} (${amounts})`)
      return line
    })
    throw conflict('INVENTORY_INSUFFICIENT_STOCK', `Not enough stock for ${lines.length} line(s): ${namesForMessage(named)}.`, {
      lines,
    })
  }
}

export interface StockLineInput extends LineRef {}

export interface AdjustStockInput {
  reference?: string | undefined
  lines: StockLineInput[]
}

export interface TransferStockInput {
  fromLocationId: number
  toLocationId: number
  reference?: string | undefined
  lines: StockLineInput[]
}

export interface CreateLocationInput {
  code: string
  name: string
  kind?: 'store' | 'warehouse' | undefined
  allowNegativeStock?: boolean | undefined
  sellsOnline?: boolean | undefined
  onlinePriority?: number | undefined
}


export interface LedgerFilter {
  productId?: number | undefined
  reason?: StockReason | undefined
  /** entries older than this id */
  before?: number | undefined
  limit?: number | undefined
}

/** Every line's quantity, in its unit, within QUANTITY_LIMITS (a 422 naming the first line that is not). */
function checkQuantities(lines: readonly StockLineInput[]): void {
  lines.forEach((l, i) => {
    const path = `lines[${i}].quantity`
    checkDecimal(parseDecimal(l.quantity, path), path, QUANTITY_LIMITS, 'INVENTORY_INVALID_QUANTITY')
  })
}

/**
 * Base units as stock keeps them: quantity × factor rounded half-up to 6 decimals, the delta the
 * ledger then shows. A line that rounds to nothing is refused rather than written as a zero
 * movement; so is more than MAX_BASE_QUANTITY of one product, so no stock level can overflow.
 */
function baseQuantities(resolved: readonly ResolvedLine[]): Big[] {
  const byProduct = new Map<number, Big>()
  return resolved.map((line) => {
    const path = `lines[${line.index}].quantity`
    const base = baseQuantityOf(line.quantity, line.factor)
    if (base.eq(0)) {
      throw invalid(
        'INVENTORY_QUANTITY_TOO_SMALL',
        `${path}: ${decimalString(line.quantity)} ${line.unit} is less than 0.000001 ${line.baseUnit}, the smallest quantity stock keeps.`,
        { field: fieldOf(path) },
      )
    }
    const sum = (byProduct.get(line.productId) ?? new Big(0)).plus(base)
    byProduct.set(line.productId, sum)
    if (base.abs().gt(MAX_BASE_QUANTITY) || sum.abs().gt(MAX_BASE_QUANTITY)) {
      throw invalid(
        'INVENTORY_QUANTITY_TOO_LARGE',
        `${path}: one request may move at most ${MAX_BASE_QUANTITY} ${line.baseUnit} of ${line.sku}.`,
        { field: fieldOf(path), max: MAX_BASE_QUANTITY.toFixed() },
      )
    }
    return base
  })
}

/** `cache`: the app's; a service built on its own (tests, scripts) gets a memory tier of its own. */
export function createInventoryService(db: Db, cache: Cache = memoryOnlyCache()) {
  const locations = locationsOn(cache, db)
  const requireLocations = locations.requireAll

  async function movementsFor(lines: StockLineInput[], locationId: number, reason: StockReason, sign: 1 | -1) {
    const resolved = await resolveLines(db.primary, lines)
    const bases = baseQuantities(resolved)
    return resolved.map((line, i) => ({
      locationId,
      productId: line.productId,
      delta: decimalString(sign === 1 ? bases[i]! : bases[i]!.neg()),
      reason,
      lines: [`lines[${line.index}]`],
      sku: line.sku,
    }))
  }

  /** The API's view of what moved; the statement is committed, so the badge watcher hears of it here. */
  function summarize(outcomes: repo.MovementOutcome[]) {
    notifyStockMoved(db, outcomes.map((o) => o.product_id))
    return outcomes.map((o) => ({
      locationId: o.location_id,
      productId: o.product_id,
      delta: decimalString(o.delta),
      quantity: decimalString(o.new_quantity),
    }))
  }

  return {
    listLocations: (): Promise<Location[]> => locations.list(),

    async createLocation(principal: Principal, input: CreateLocationInput): Promise<Location> {
      requireRole(principal, ['admin', 'manager'])
      const row = await repo.insertLocation(db.primary, {
        code: input.code,
        name: input.name,
        kind: input.kind ?? 'store',
        allowNegativeStock: input.allowNegativeStock ?? false,
        sellsOnline: input.sellsOnline,
        onlinePriority: input.onlinePriority,
      })
      if (!row) throw conflict('INVENTORY_LOCATION_EXISTS', `A location with code "${input.code}" exists already.`)
      await locations.evict([row.id])
      return toLocation(row)
    },

    async updateLocation(principal: Principal, id: number, input: Partial<CreateLocationInput>): Promise<Location> {
      requireRole(principal, ['admin', 'manager'])
      requireLocation(principal, id)
      const row = await repo.updateLocation(db.primary, id, input)
      if (!row) throw notFound('INVENTORY_UNKNOWN_LOCATION', `Unknown location: ${id}.`)
      await locations.evict([id])
      return toLocation(row)
    },

    /** Signed quantities: positive adds stock, negative removes it. */
    async adjustStock(principal: Principal, locationId: number, input: AdjustStockInput) {
      requireRole(principal, ['admin', 'manager'])
      requireLocation(principal, locationId)
      const zero = input.lines.findIndex((l, i) => parseDecimal(l.quantity, `lines[${i}].quantity`).eq(0))
      if (zero >= 0) {
        const path = `lines[${zero}].quantity`
        throw invalid('INVENTORY_ZERO_QUANTITY', `${path} must not be zero.`, { field: fieldOf(path) })
      }
      checkQuantities(input.lines)
      await requireLocations([locationId])
      const movements = await movementsFor(input.lines, locationId, 'adjustment', 1)
      const outcomes = await moveStockOrFail(db.primary, movements, {
        reference: input.reference ?? null,
        tokenId: principal.tokenId,
      })
      return { locationId, movements: summarize(outcomes) }
    },

    async transferStock(principal: Principal, input: TransferStockInput) {
      requireRole(principal, ['admin', 'manager'])
      requireLocation(principal, input.fromLocationId)
      requireLocation(principal, input.toLocationId)
      if (input.fromLocationId === input.toLocationId) {
        throw invalid('INVENTORY_SAME_LOCATION', 'A transfer needs two different locations.', { field: '/toLocationId' })
      }
      const notPositive = input.lines.findIndex((l, i) => parseDecimal(l.quantity, `lines[${i}].quantity`).lte(0))
      if (notPositive >= 0) {
        const path = `lines[${notPositive}].quantity`
        throw invalid('INVENTORY_QUANTITY_NOT_POSITIVE', `${path} must be above zero: a transfer moves stock one way.`, {
          field: fieldOf(path),
        })
      }
      checkQuantities(input.lines)
      await requireLocations([input.fromLocationId, input.toLocationId])
      const out = await movementsFor(input.lines, input.fromLocationId, 'transfer_out', -1)
      const into = out.map((m) => ({
        ...m,
        locationId: input.toLocationId,
        delta: decimalString(new Big(m.delta).neg()),
        reason: 'transfer_in' as const,
      }))
      const outcomes = await moveStockOrFail(db.primary, [...out, ...into], {
        reference: input.reference ?? null,
        tokenId: principal.tokenId,
      })
      return { movements: summarize(outcomes) }
    },

    async listStock(locationId: number, filter: { productIds?: number[]; after?: number; limit?: number }) {
      await requireLocations([locationId])
      const limit = filter.limit ?? 50
      const rows = await repo.listStockLevels(db.primary, locationId, { ...filter, limit })
      return {
        items: rows.map((r) => ({
          productId: r.product_id,
          sku: r.sku,
          name: r.name,
          unit: r.base_unit,
          quantity: decimalString(r.quantity),
          updatedAt: r.updated_at.toISOString(),
        })),
        nextAfter: rows.length === limit ? (rows[rows.length - 1]?.product_id ?? null) : null,
      }
    },

    /** Stock per product over the locations selling online, in base units; from the reader (a badge may lag). */
    async onlineStock(productIds: readonly number[]): Promise<Map<number, string>> {
      if (productIds.length === 0) return new Map()
      const rows = await repo.sumOnlineStock(db.reader, productIds)
      return new Map(rows.map((r) => [r.product_id, decimalString(r.quantity)]))
    },

    /** Newest first, `limit` entries older than `before`; nextBefore is null on the last page. */
    async listLedger(locationId: number, filter: LedgerFilter) {
      await requireLocations([locationId])
      const limit = filter.limit ?? 50
      // one row more than asked tells whether an older page exists
      const rows = await repo.listLedger(db.primary, locationId, { ...filter, limit: limit + 1 })
      const page = rows.slice(0, limit)
      return {
        items: page.map((r) => ({
          id: r.id,
          locationId: r.location_id,
          productId: r.product_id,
          delta: decimalString(r.delta),
          reason: r.reason,
          reference: r.reference,
          tokenId: r.token_id,
          createdAt: r.created_at.toISOString(),
        })),
        nextBefore: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      }
    },
  }
}

export type InventoryService = ReturnType<typeof createInventoryService>

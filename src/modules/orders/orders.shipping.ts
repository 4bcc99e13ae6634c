/**
 * Shipping methods: staff (admins) configure them with a flat price per country and an optional
 * threshold over which shipping is free; shoppers see the methods serving a country, priced for
 * their cart. Each write is one transaction of a constant few statements, whatever the rates.
 */
import type { Db } from '../../infra/db/database.ts'
import { Big, MONEY_LIMITS, money, readDecimal } from '../../infra/decimal.ts'
import { AppError, conflict, invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireRole } from '../access/index.ts'
import { namesForMessage, withFields } from '../catalog/index.ts'
import type { CartCaller } from './orders.carts.ts'
import type { PricedCart } from './orders.pricing.ts'
import * as repo from './orders.repository.ts'

const MANAGERS = ['admin'] as const

export interface ShippingRateInput {
  /** ISO 3166-1 alpha-2, or '*' for every country without a rate of its own */
  country: string
  price: string | number
  freeOver?: string | number | null | undefined
}

export interface CreateShippingMethodInput {
  code: string
  name: string
  active?: boolean | undefined
  position?: number | undefined
  rates: readonly ShippingRateInput[]
}

export interface UpdateShippingMethodInput {
  name?: string | undefined
  active?: boolean | undefined
  position?: number | undefined
  /** replaces the method's rates as a set */
  rates?: readonly ShippingRateInput[] | undefined
}

export interface ShippingRate {
  country: string
  price: string
  freeOver: string | null
}

export interface ShippingMethod {
  id: number
  code: string
  name: string
  active: boolean
  position: number
  rates: ShippingRate[]
  createdAt: string
  updatedAt: string
}

/** A method as a shopper sees it for a country: the price that applies to their cart. */
export interface ShippingOption {
  code: string
  name: string
  price: string
  freeOver: string | null
  free: boolean
}

type MethodRow = Awaited<ReturnType<typeof repo.listShippingMethodsWithRates>>[number]

/** Rows of one or more methods (one per rate) as methods, in the rows' order. */
function toMethods(rows: readonly MethodRow[]): ShippingMethod[] {
  const methods = new Map<number, ShippingMethod>()
  for (const row of rows) {
    let method = methods.get(row.id)
    if (!method) {
      method = {
        id: row.id,
        code: row.code,
        name: row.name,
        active: row.active,
        position: row.position,
        rates: [],
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      }
      methods.set(row.id, method)
    }
    if (row.country !== null && row.price !== null) {
      method.rates.push({ country: row.country, price: money(row.price), freeOver: row.free_over === null ? null : money(row.free_over) })
    }
  }
  return [...methods.values()]
}

/** Checked rates (money limits, each country once) as the columns store them, in country order. */
function ratesOf(rates: readonly ShippingRateInput[]): repo.NewShippingRate[] {
  const seen = new Set<string>()
  const twice = rates.flatMap((r, i) => (seen.has(r.country) || !seen.add(r.country) ? [{ path: `rates[${i}].country`, country: r.country }] : []))
  if (twice.length > 0) {
    throw invalid('ORDERS_COUNTRY_NAMED_TWICE', `${namesForMessage(twice.map((t) => t.path))}: a method has one rate per country.`, {
      rates: withFields(twice),
    })
  }
  const read = (value: string | number, path: string) => money(readDecimal(value, path, MONEY_LIMITS, 'ORDERS_INVALID_SHIPPING_RATE'))
  return rates
    .map((r, i) => ({
      country: r.country,
      price: read(r.price, `rates[${i}].price`),
      free_over: r.freeOver === undefined || r.freeOver === null ? null : read(r.freeOver, `rates[${i}].freeOver`),
    }))
    .sort((a, b) => (a.country < b.country ? -1 : a.country > b.country ? 1 : 0))
}

const methodNotFound = (id: number) => notFound('ORDERS_SHIPPING_METHOD_NOT_FOUND', `No shipping method ${id}.`, { id })

/** `getCart`: the carts' own, so the shipping price is the one of the cart the shopper sees. */
export function createShipping(db: Db, carts: { getCart(caller: CartCaller): Promise<PricedCart> }) {
  /** From the primary: staff read their writes right away. */
  async function listShippingMethods(principal: Principal): Promise<ShippingMethod[]> {
    requireRole(principal, MANAGERS)
    return toMethods(await repo.listShippingMethodsWithRates(db.primary))
  }

  /** One statement: the method and its rates, or nothing when the code is taken. */
  async function createShippingMethod(principal: Principal, input: CreateShippingMethodInput): Promise<ShippingMethod> {
    requireRole(principal, MANAGERS)
    const rates = ratesOf(input.rates)
    const method = { code: input.code, name: input.name, active: input.active ?? true, position: input.position ?? 0 }
    const row = await repo.insertShippingMethod(db.primary, method, rates)
    if (!row) throw conflict('ORDERS_SHIPPING_METHOD_EXISTS', `A shipping method with code "${input.code}" exists already.`, { code: input.code })
    return toMethods(rates.length === 0 ? [{ ...row, country: null, price: null, free_over: null }] : rates.map((r) => ({ ...row, ...r })))[0]!
  }

  /** One transaction: the method's row (locked), its rates replaced as a set when given, then read back. */
  async function updateShippingMethod(principal: Principal, id: number, input: UpdateShippingMethodInput): Promise<ShippingMethod> {
    requireRole(principal, MANAGERS)
    const rates = input.rates === undefined ? undefined : ratesOf(input.rates)
    const changes = {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.active === undefined ? {} : { active: input.active }),
      ...(input.position === undefined ? {} : { position: input.position }),
    }
    return db.primary.transaction().execute(async (trx) => {
      if (!(await repo.updateShippingMethod(trx, id, changes))) throw methodNotFound(id)
      if (rates !== undefined) await repo.replaceShippingRates(trx, id, rates)
      return toMethods(await repo.listShippingMethodsWithRates(trx, id))[0]!
    })
  }

  /**
   * The active methods serving `country`, priced for the caller's cart: free when the cart's total
   * (before shipping) reaches the threshold. Without a cart, the flat price. Methods are read from
   * the reader (storefront browsing accepts replica lag); the cart from the primary.
   */
  async function shippingOptionsFor(caller: CartCaller, country: string): Promise<ShippingOption[]> {
    const rates = await repo.findShippingRatesForCountry(db.reader, country)
    if (rates.length === 0) {
      throw invalid('ORDERS_COUNTRY_NOT_SERVED', `No shipping method serves ${country}.`, { field: 'country', country })
    }
    const total = await cartTotalOf(caller)
    return rates.map((r) => {
      const free = total !== undefined && r.free_over !== null && total.gte(r.free_over)
      return { code: r.code, name: r.name, price: free ? '0.00' : money(r.price), freeOver: r.free_over === null ? null : money(r.free_over), free }
    })
  }

  /** The total of the caller's cart; undefined when they have none (or it expired). */
  async function cartTotalOf(caller: CartCaller): Promise<Big | undefined> {
    try {
      return new Big((await carts.getCart(caller)).total)
    } catch (error) {
      if (error instanceof AppError && error.code === 'ORDERS_CART_NOT_FOUND') return undefined
      throw error
    }
  }

  return { listShippingMethods, createShippingMethod, updateShippingMethod, shippingOptionsFor }
}

/**
 * The eta templates (views/) and what every template may call: `hole(name)` for a per-visitor
 * value, and the formatting helpers. Values are escaped by default (`<%= %>`); `<%~ %>` is only
 * for markup the code made (holes, included partials).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Eta } from 'eta'
import { Big } from '../../infra/decimal.ts'
import { type HoleName, hole } from './page-cache.ts'

const here = import.meta.dirname
export const SHOP_NAME = 'Brisk Market'
const CURRENCY = '€'

const eta = new Eta({ views: path.join(here, 'views'), autoEscape: true, cache: true, autoTrim: [false, 'nl'] })

const CSS_FILE = path.join(here, 'assets', 'store.css')
export const storeCss = fs.readFileSync(CSS_FILE)
/** The stylesheet's URL carries a hash of its bytes: it can be cached for a year. */
export const STORE_CSS_URL = `/assets/store.css?v=${createHash('sha256').update(storeCss).digest('hex').slice(0, 12)}`

/** 1234.5 → "€1,234.50"; a price per gram keeps its fraction of a cent: 0.014 → "€0.014". */
export function price(value: string | Big): string {
  const exact = new Big(value)
  const fixed = exact.round(2).eq(exact) ? exact.toFixed(2) : exact.toFixed(4).replace(/(\.\d\d\d*?)0+$/, '$1')
  const [whole = '0', cents = '00'] = fixed.split('.')
  return `${CURRENCY}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`
}

/** "2.500000" → "2.5" */
export function quantity(value: string | Big): string {
  return new Big(value).toFixed().replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')
}

const UNIT_NAMES: Record<string, string> = { each: 'each', box12: 'box of 12', kg: 'kg', g: 'g' }
export const unitName = (unit: string) => UNIT_NAMES[unit] ?? unit

const helpers = {
  hole: (name: HoleName) => hole(name),
  price,
  quantity,
  unitName,
  shopName: SHOP_NAME,
  cssUrl: STORE_CSS_URL,
}

export type ViewHelpers = typeof helpers

/** Renders views/<name>.eta inside the layout: the page's markup, with its holes left as markers. */
export function renderView(name: string, data: Record<string, unknown>): string {
  return eta.render(name, { ...helpers, ...data })
}

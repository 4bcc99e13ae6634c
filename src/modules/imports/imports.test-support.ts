/**
 * Import inputs for tests and benchmarks: N products as CSV or JSON Lines text, generated line by
 * line so a large input can be streamed without being held whole.
 */
import { Readable } from 'node:stream'

/** The units the generated products use: create them before importing. */
export const GENERATED_UNITS = ['each', 'pack6', 'box12', 'pallet'] as const

export interface GeneratedProducts {
  /** SKU prefix: `${prefix}-${i}`; barcodes derive from it too */
  prefix?: string | undefined
  /** conversions per product, 0 to 3 (pack6, box12 with a barcode, pallet) */
  units?: number | undefined
  /** price of product i (a different function makes a re-import that changes prices) */
  priceOf?: ((i: number) => string) | undefined
}

interface GeneratedProduct {
  sku: string
  name: string
  price: string
  taxRate: string
  baseUnit: string
  category: string
  barcode: string
  active: boolean
  units: { unit: string; factor: string; barcode?: string }[]
}

const defaultPrice = (i: number) => `${(i % 500) + 1}.${String(i % 100).padStart(2, '0')}`

export function generatedProduct(i: number, options: GeneratedProducts = {}): GeneratedProduct {
  const prefix = options.prefix ?? 'P'
  const conversions = [
    { unit: 'pack6', factor: '6' },
    { unit: 'box12', factor: '12', barcode: `${prefix}-BOX-${i}` },
    { unit: 'pallet', factor: '480' },
  ]
  return {
    sku: `${prefix}-${i}`,
    name: `${prefix} product ${i}, "quoted"`,
    price: (options.priceOf ?? defaultPrice)(i),
    taxRate: i % 3 === 0 ? '7' : '19',
    baseUnit: 'each',
    category: `Category ${i % 20}`,
    barcode: `${prefix}-EAN-${i}`,
    active: i % 50 !== 0,
    units: conversions.slice(0, options.units ?? 3),
  }
}

export const PRODUCT_CSV_HEADER = 'sku,name,price,taxRate,baseUnit,category,barcode,active,units'

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)

export function productCsvLine(p: GeneratedProduct): string {
  const units = p.units.map((u) => [u.unit, u.factor, ...(u.barcode ? [u.barcode] : [])].join(':')).join(';')
  return [p.sku, p.name, p.price, p.taxRate, p.baseUnit, p.category, p.barcode, String(p.active), units].map(csvCell).join(',')
}

export const productJsonLine = (p: GeneratedProduct) => JSON.stringify(p)

/** The lines of a CSV file of `count` products, header first, each ending with a newline. */
export function* productCsvLines(count: number, options: GeneratedProducts = {}): Generator<string> {
  yield `${PRODUCT_CSV_HEADER}\n`
  for (let i = 0; i < count; i++) yield `${productCsvLine(generatedProduct(i, options))}\n`
}

/** The lines of a JSON Lines file of `count` products, each ending with a newline. */
export function* productNdjsonLines(count: number, options: GeneratedProducts = {}): Generator<string> {
  for (let i = 0; i < count; i++) yield `${productJsonLine(generatedProduct(i, options))}\n`
}

export const productsCsv = (count: number, options: GeneratedProducts = {}) => [...productCsvLines(count, options)].join('')
export const productsNdjson = (count: number, options: GeneratedProducts = {}) => [...productNdjsonLines(count, options)].join('')

/** Lines as a stream of ~64 KiB buffers: a large input that is never held whole. */
export function streamOf(lines: Iterable<string>): Readable {
  return Readable.from(
    (function* batched() {
      let pending = ''
      for (const line of lines) {
        pending += line
        if (pending.length >= 65_536) {
          yield Buffer.from(pending)
          pending = ''
        }
      }
      if (pending !== '') yield Buffer.from(pending)
    })(),
  )
}

import { Type } from 'typebox'
import { FACTOR_LIMITS, PRICE_LIMITS, TAX_RATE_LIMITS } from '../../infra/decimal.ts'
import { Decimal, DecimalOutput, Id, Page, PageQuery, Text } from '../../infra/http/schemas.ts'

const Nullable = <T extends import('typebox').TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/**
 * Money in responses, always with the currency's two decimals ("0.90", "12.00"); quantities,
 * factors and rates stay plain decimals (DecimalOutput).
 */
export const MoneyOutput = Type.String({
  pattern: '^-?\\d+\\.\\d{2}$',
  description: 'An amount of money with exactly two decimals',
  examples: ['12.50'],
})

/** A price of one unit: at least two decimals, more when it was set with more (an override of 7.333 stays 7.333). */
export const UnitPriceOutput = Type.String({
  pattern: '^\\d+\\.\\d{2,}$',
  description: 'A unit price: at least two decimals, and every decimal it was set with',
  examples: ['0.90', '7.333'],
})

/** No leading or trailing blanks: these values are keys people search and match on. */
const TRIMMED = '^\\S(.*\\S)?$'

const Sku = Text({ minLength: 1, maxLength: 64, pattern: TRIMMED })
const Barcode = Text({ minLength: 1, maxLength: 64, pattern: '^\\S+$' })
const UNIT_CODE = '^[a-z0-9_]{1,32}$'
const UnitCode = Text({ pattern: UNIT_CODE, description: 'Lower-case letters, digits and _' })
const CategoryName = Text({ minLength: 1, maxLength: 100, pattern: TRIMMED })
const ProductName = Text({ minLength: 1, maxLength: 200 })
const Description = Text({ maxLength: 5000 })
const Price = Decimal(PRICE_LIMITS, 'Price of one base unit')
const TaxRate = Decimal(TAX_RATE_LIMITS, 'Tax rate in percent')

export const Unit = Type.Object({ code: Type.String(), name: Type.String() })

export const CreateUnitBody = Type.Object(
  { code: UnitCode, name: Text({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
)

export const Category = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  parentId: Nullable(Type.Integer()),
  createdAt: Type.String({ format: 'date-time' }),
})

export const CreateCategoryBody = Type.Object(
  { name: CategoryName, parentId: Type.Optional(Nullable(Id)) },
  { additionalProperties: false },
)

/** `factor`: base units in one of this unit, above 0 (12 for a box of 12, 0.001 for g of a kg product). */
const UnitConversion = Type.Object(
  {
    unit: UnitCode,
    factor: Decimal(FACTOR_LIMITS, 'Base units in one of this unit'),
    barcode: Type.Optional(Nullable(Barcode)),
  },
  { additionalProperties: false },
)

const Units = Type.Array(UnitConversion, {
  maxItems: 50,
  description: "The product's complete set of conversions to its base unit (replaces the stored set)",
})

const productFields = {
  barcode: Type.Optional(Nullable(Barcode)),
  name: ProductName,
  description: Type.Optional(Description),
  baseUnit: UnitCode,
  price: Price,
  taxRate: Type.Optional(TaxRate),
  active: Type.Optional(Type.Boolean()),
  units: Type.Optional(Units),
}

export const CreateProductBody = Type.Object(
  { sku: Sku, ...productFields, categoryId: Type.Optional(Nullable(Id)) },
  { additionalProperties: false },
)

export const UpdateProductBody = Type.Object(
  {
    sku: Type.Optional(Sku),
    barcode: productFields.barcode,
    name: Type.Optional(ProductName),
    description: productFields.description,
    categoryId: Type.Optional(Nullable(Id)),
    baseUnit: Type.Optional(Text({ pattern: UNIT_CODE, description: 'Cannot change; accepted when unchanged' })),
    price: Type.Optional(Price),
    taxRate: productFields.taxRate,
    active: productFields.active,
    units: productFields.units,
  },
  { additionalProperties: false, minProperties: 1 },
)

/** Keyed by SKU; `category` is a name, created when missing; fields left out keep their stored value. */
const BulkProduct = Type.Object(
  {
    sku: Sku,
    ...productFields,
    category: Type.Optional(Nullable(CategoryName)),
  },
  { additionalProperties: false },
)

export const BulkUpsertBody = Type.Object(
  { products: Type.Array(BulkProduct, { minItems: 1, maxItems: 10_000 }) },
  { additionalProperties: false },
)

export const BulkUpsertResult = Type.Object({
  total: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  categoriesCreated: Type.Integer(),
})

export const Product = Type.Object({
  id: Type.Integer(),
  sku: Type.String(),
  barcode: Nullable(Type.String()),
  name: Type.String(),
  description: Type.String(),
  category: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  baseUnit: Type.String(),
  price: MoneyOutput,
  taxRate: DecimalOutput,
  active: Type.Boolean(),
  units: Type.Array(Type.Object({ unit: Type.String(), factor: DecimalOutput, barcode: Nullable(Type.String()) })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const ProductQuery = Type.Object(
  {
    ...PageQuery,
    categoryId: Type.Optional(Id),
    active: Type.Optional(Type.Boolean()),
    q: Type.Optional(Text({ minLength: 1, maxLength: 100, description: 'Part of the name or SKU, any case' })),
  },
  { additionalProperties: false },
)

export const ProductPage = Page(Product)

export const LookupQuery = Type.Object(
  { code: Text({ minLength: 1, maxLength: 64, description: 'A SKU, a product barcode or a unit barcode' }) },
  { additionalProperties: false },
)

export const ProductLookup = Type.Object({
  product: Product,
  unit: Type.String({ description: 'The unit the code stands for (the base unit for a SKU or product barcode)' }),
  factor: DecimalOutput,
  matchedBy: Type.Union([Type.Literal('barcode'), Type.Literal('unit_barcode'), Type.Literal('sku')]),
})

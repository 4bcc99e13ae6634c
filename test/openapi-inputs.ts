/**
 * Requests built from the OpenAPI document for the bad-input test: every operation, every input it
 * takes (path, query and header parameters, every body field at any depth) with its schema, and
 * fast-check arbitraries for a request that is valid in shape everywhere but one place, which gets
 * a value its schema's declared limits refuse. A route added to the API is covered without a change here.
 */
import fc from 'fast-check'
import { Big } from '../src/infra/decimal.ts'

type Schema = Record<string, unknown>

export interface Operation {
  method: string
  /** the path template, `/api/products/{id}` */
  path: string
  parameters: { in: 'path' | 'query' | 'header'; name: string; required: boolean; schema: Schema }[]
  body: Schema | undefined
}

/** One step from a schema into the value it describes. */
type Step = { prop: string } | { item: true } | { branch: number }

/** The kinds of value a place takes; each has its classes of bad values (`badValuesFor`). */
export type Kind = 'text' | 'decimal' | 'integer' | 'date' | 'date-time' | 'date-or-time' | 'time-zone' | 'boolean' | 'path'

/** A place in a request where a bad value goes. */
export interface Target {
  operation: Operation
  in: 'path' | 'query' | 'header' | 'body'
  /** the parameter's name, or the body field's JSON pointer (`/lines/0/quantity`) */
  name: string
  kind: Kind
  schema: Schema
  steps: Step[]
}

/** Valid values by field name, so that a request names rows that exist; undefined where any value of the schema will do. */
export type Hints = (name: string, operation: Operation) => fc.Arbitrary<unknown> | undefined

export function operationsOf(spec: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const content = (op['requestBody'] as Schema | undefined)?.['content'] as Record<string, { schema: Schema }> | undefined
      return {
        method: method.toUpperCase(),
        path,
        parameters: (op['parameters'] as Operation['parameters'] | undefined) ?? [],
        body: content?.['application/json']?.schema,
      }
    }),
  )
}

const isNumber = (schema: Schema) => schema['type'] === 'number'
/** A decimal field: one with declared limits, or any that takes a JSON number. */
const isDecimal = (schema: Schema) =>
  schema['x-decimal'] !== undefined || isNumber(schema) || ((schema['anyOf'] as Schema[] | undefined)?.some(isNumber) ?? false)
const DATE_NAMES = /^(date|from|to|before|after|since|until)$|(Date|At)$/

function kindOf(schema: Schema, name: string): Kind | undefined {
  if (isDecimal(schema)) return 'decimal'
  const branches = schema['anyOf'] as Schema[] | undefined
  if (branches?.every((b) => b['format'] === 'date' || b['format'] === 'date-time')) return 'date-or-time'
  if (name === 'timeZone') return 'time-zone'
  if (schema['format'] === 'date' || schema['format'] === 'date-time') return schema['format']
  // by name too, so a date field whose schema forgot its format still gets bad dates
  if (schema['type'] === 'string' && DATE_NAMES.test(name)) return 'date-or-time'
  if (schema['type'] === 'string' || Array.isArray(schema['enum'])) return 'text'
  if (schema['type'] === 'integer') return 'integer'
  if (schema['type'] === 'boolean') return 'boolean'
  return undefined
}

/** Every place in a body schema a bad value can go, with the steps that reach it. */
function bodyTargets(schema: Schema, steps: Step[], pointer: string, add: (t: Omit<Target, 'operation' | 'in'>) => void): void {
  const kind = kindOf(schema, pointer.split('/').pop() ?? '')
  if (kind !== undefined && kind !== 'boolean') {
    add({ name: pointer, kind, schema, steps })
    return
  }
  const properties = schema['properties'] as Record<string, Schema> | undefined
  for (const [name, property] of Object.entries(properties ?? {})) {
    bodyTargets(property, [...steps, { prop: name }], `${pointer}/${name}`, add)
  }
  const items = schema['items'] as Schema | undefined
  if (items) bodyTargets(items, [...steps, { item: true }], `${pointer}/0`, add)
  const branches = (schema['anyOf'] as Schema[] | undefined) ?? []
  branches.forEach((branch, k) => {
    if (branch['type'] !== 'null') bodyTargets(branch, [...steps, { branch: k }], pointer, add)
  })
}

export function targetsOf(operation: Operation): Target[] {
  const targets: Target[] = []
  for (const p of operation.parameters) {
    const itemSchema = (p.schema['items'] as Schema | undefined) ?? p.schema
    const kind = p.in === 'path' ? 'path' : kindOf(itemSchema, p.name)
    if (kind !== undefined) targets.push({ operation, in: p.in, name: p.name, kind, schema: itemSchema, steps: [] })
  }
  if (operation.body) {
    bodyTargets(operation.body, [], '', (t) => targets.push({ operation, in: 'body', ...t }))
  }
  return targets
}

// ---- valid values ----

const SAFE_TEXT = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _-]{0,10}[A-Za-z0-9]$/)

function validText(schema: Schema): fc.Arbitrary<string> {
  if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as string[]))
  if (schema['format'] === 'date') return fc.constantFrom('2026-01-15', '2026-11-30')
  if (schema['format'] === 'date-time') return fc.constantFrom('2026-01-15T10:00:00Z', '2026-11-30T23:30:00+01:00')
  const min = (schema['minLength'] as number | undefined) ?? 0
  const max = (schema['maxLength'] as number | undefined) ?? 64
  const pattern = schema['pattern'] as string | undefined
  const text = pattern ? fc.stringMatching(new RegExp(pattern)) : SAFE_TEXT
  return text.filter((s) => s.length >= min && s.length <= max && !s.includes('\u0000'))
}

/** Limits of a decimal field that declares none: what no decimal column here can hold (numeric(20,6), numeric(20,9)). */
const ANY_COLUMN: Limits = { scale: 9, min: '-99999999999999', max: '99999999999999' }

interface Limits {
  scale: number
  min: string
  max: string
}

const limitsOf = (schema: Schema) => (schema['x-decimal'] as Limits | undefined) ?? ANY_COLUMN

function validDecimal(schema: Schema): fc.Arbitrary<string | number> {
  const { min, max } = limitsOf(schema)
  const value = Number(min) <= 1 && Number(max) >= 1 ? 1 : Number(min)
  return fc.constantFrom(value, String(value))
}

/** A value of `schema`'s shape with `leaf` at the end of `steps`; `name` is the field's, for hints. */
export function valuesOf(
  schema: Schema,
  name: string,
  operation: Operation,
  hints: Hints,
  steps: readonly Step[] = [],
  leaf?: fc.Arbitrary<unknown>,
): fc.Arbitrary<unknown> {
  if (steps.length === 0 && leaf) return leaf
  const [step, ...rest] = steps
  const branches = schema['anyOf'] as Schema[] | undefined
  if (step && 'branch' in step) return valuesOf(branches![step.branch]!, name, operation, hints, rest, leaf)
  const kind = kindOf(schema, name)
  if (kind !== undefined) {
    const hinted = hints(name, operation)
    if (hinted) return hinted
    if (kind === 'decimal') return validDecimal(schema)
    if (kind === 'integer') return fc.integer({ min: (schema['minimum'] as number | undefined) ?? 0, max: 20 })
    if (kind === 'boolean') return fc.boolean()
    if (kind === 'date-or-time') return fc.constantFrom('2026-01-15', '2026-11-30')
    if (kind === 'time-zone') return fc.constantFrom('UTC', 'Europe/Paris')
    return validText(schema)
  }
  if (branches) {
    const choices = branches.filter((b) => b['type'] !== 'null')
    return fc.oneof(...choices.map((b) => valuesOf(b, name, operation, hints)))
  }
  if (schema['type'] === 'array') {
    const items = schema['items'] as Schema
    const item = valuesOf(items, name, operation, hints)
    if (step && 'item' in step) return valuesOf(items, name, operation, hints, rest, leaf).map((only) => [only])
    return fc.array(item, { minLength: (schema['minItems'] as number | undefined) ?? 0, maxLength: 2 })
  }
  const properties = (schema['properties'] as Record<string, Schema> | undefined) ?? {}
  const required = new Set((schema['required'] as string[] | undefined) ?? [])
  const target = step && 'prop' in step ? step.prop : undefined
  const fields = Object.entries(properties).map(([key, property]) => {
    if (key === target) return [key, valuesOf(property, key, operation, hints, rest, leaf)] as const
    const value = valuesOf(property, key, operation, hints)
    if (required.has(key) || hints(key, operation) !== undefined) return [key, value] as const
    // Optional decimals stay out (a discount as percent and as amount is refused for that), other
    // optional fields come now and then: the bad value should be what the request is refused for.
    if (isDecimal(property) || (property['anyOf'] as Schema[] | undefined)?.some(isDecimal)) return [key, fc.constant(undefined)] as const
    return [key, fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: value, weight: 1 })] as const
  })
  return fc.record(Object.fromEntries(fields)).map((record) =>
    Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)),
  )
}

// ---- bad values ----

/** A bad value and the class it belongs to (what the test reports and counts). */
export interface Bad {
  class: string
  value: unknown
}

const bad = (cls: string, values: fc.Arbitrary<unknown>): fc.Arbitrary<Bad> => values.map((value) => ({ class: cls, value }))

/** `text` as a string, and as a JSON number where a double holds it exactly. */
function asNumberOrString(text: string): fc.Arbitrary<unknown> {
  const number = Number(text)
  return new Big(String(number)).eq(text) ? fc.constantFrom<unknown>(number, text) : fc.constant(text)
}

/** `whole` with `digits` decimals, the last one `last`, as text: 9.0000001 */
function withDecimals(whole: number, digits: number, last: number): string {
  return `${whole}.${'0'.repeat(digits - 1)}${last}`
}

/** `value` ± one unit of its last allowed decimal, exactly. */
function addUnit(value: string, scale: number, sign: 1 | -1): string {
  const unit = new Big(1).div(new Big(10).pow(scale))
  return new Big(value).plus(sign === 1 ? unit : unit.neg()).toFixed()
}

const INVALID_DATES = ['2026-02-31', '2026-02-30', '2025-02-29', '2100-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00']
const EXTREME_DATES = ['0000-01-01', '1899-12-31', '-271821-04-20', '+275760-09-13', '10000-01-01', '99999-12-31']
const MALFORMED_DATES = ['2026-1-1', '20260101', '2026/01/31', 'today', '1e308', '']
const INVALID_TIMES = [
  '2026-02-30T10:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T10:60:00Z',
  '2026-01-01T10:00:00',
  '0000-01-01T00:00:00Z',
  '1899-12-31T23:59:59Z',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59-12:00',
]
const BAD_TIME_ZONES = ['+01:00', '-03:30', 'UTC+3', 'Mars/Olympus', 'US/Pacific-New', 'Canada/East-Saskatchewan', ' UTC', 'Europe//Paris']

function nul(valid: fc.Arbitrary<unknown>): fc.Arbitrary<Bad> {
  return bad(
    'nul',
    fc.tuple(valid, fc.nat(), fc.constantFrom('\u0000', '\u0000\u0000')).map(([v, at, n]) => {
      const text = String(v)
      const i = text.length === 0 ? 0 : at % (text.length + 1)
      return `${text.slice(0, i)}${n}${text.slice(i)}`
    }),
  )
}

function tooLong(schema: Schema): fc.Arbitrary<Bad> | undefined {
  const max = schema['maxLength'] as number | undefined
  return max === undefined ? undefined : bad('too-long', fc.integer({ min: 1, max: 40 }).map((extra) => 'x'.repeat(max + extra)))
}

/** The classes of bad values for a target, each an arbitrary of values its schema's limits refuse. */
export function badValuesFor(target: Target, valid: fc.Arbitrary<unknown>): fc.Arbitrary<Bad>[] {
  const { schema } = target
  const fromQuery = target.in !== 'body'
  switch (target.kind) {
    case 'text':
      return [nul(valid), tooLong(schema)].filter((a): a is fc.Arbitrary<Bad> => a !== undefined)
    case 'time-zone':
      return [nul(valid), bad('time-zone', fc.constantFrom(...BAD_TIME_ZONES, 'x'.repeat(65)))]
    case 'date':
      return [
        bad('invalid-date', fc.constantFrom(...INVALID_DATES)),
        bad('extreme-date', fc.constantFrom(...EXTREME_DATES)),
        bad('malformed-date', fc.constantFrom(...MALFORMED_DATES)),
        nul(valid),
      ]
    case 'date-time':
    case 'date-or-time':
      return [
        bad('invalid-date', fc.constantFrom(...INVALID_DATES, ...INVALID_TIMES.slice(0, 4))),
        bad('extreme-date', fc.constantFrom(...EXTREME_DATES, ...INVALID_TIMES.slice(4))),
        bad('malformed-date', fc.constantFrom(...MALFORMED_DATES)),
        nul(valid),
      ]
    case 'integer': {
      const min = (schema['minimum'] as number | undefined) ?? Number.MIN_SAFE_INTEGER
      const max = (schema['maximum'] as number | undefined) ?? Number.MAX_SAFE_INTEGER
      const huge = [1e308, 2 ** 63, max + 1, max * 10]
      return [
        bad('over-max', fromQuery ? fc.constantFrom(...huge.map(String), '9223372036854775808', '1e308') : fc.constantFrom(...huge)),
        bad('under-min', fc.constantFrom(min - 1, -(2 ** 63), -1e308).map((v) => (fromQuery ? String(v) : v))),
        bad('not-integer', fromQuery ? fc.constantFrom('1.5', 'abc', 'NaN', 'Infinity') : fc.constantFrom(1.5, 0.000001)),
      ]
    }
    case 'decimal': {
      const { scale, min, max } = limitsOf(schema)
      const whole = Math.max(0, Math.min(Number(max) - 1, 9))
      const huge = [1e13, 1e15, 99999999999999, 1e308, '99999999999999', '99999999999999.99', '1e308'].filter((v) => new Big(v).gt(max))
      return [
        bad(
          'over-precise',
          fc
            .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }))
            .chain(([extra, last]) => asNumberOrString(withDecimals(whole, scale + extra, last))),
        ),
        bad('over-max', fc.oneof(asNumberOrString(addUnit(max, scale, 1)), fc.constantFrom<unknown>(...huge))),
        bad('under-min', fc.oneof(asNumberOrString(addUnit(min, scale, -1)), fc.constantFrom<unknown>(-1e15, '-99999999999999'))),
      ]
    }
    case 'boolean':
      return [bad('not-boolean', fc.constantFrom('yes', 'maybe', '2'))]
    case 'path':
      // Fastify's router takes parameters of up to 100 characters (maxParamLength)
      return [
        bad('too-long', fc.integer({ min: 101, max: 400 }).map((n) => '1'.repeat(n))),
        bad('over-max', fc.constantFrom('9007199254740992', '9223372036854775808', '99999999999999999999', '1e308')),
        bad('not-id', fc.constantFrom('0', '-1', '1.5', 'abc', '%00', ' ')),
      ]
  }
}

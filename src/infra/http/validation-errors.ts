import type { ErrorObject } from 'ajv'

/** Where the invalid value was, named as OpenAPI names parameter locations. */
export type RequestPart = 'body' | 'query' | 'path' | 'header'

export interface ValidationDetail {
  in: RequestPart
  /** JSON pointer to the field inside that part; '' is the whole part. */
  field: string
  message: string
  /** The accepted values (or field names), when there is a list of them. */
  allowed?: unknown[]
}

const PART_BY_CONTEXT: Record<string, RequestPart> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

export function requestPartOf(validationContext: string | undefined): RequestPart {
  return PART_BY_CONTEXT[validationContext ?? 'body'] ?? 'body'
}

type Schema = Record<string, unknown>

const described = new WeakSet<ValidationDetail>()

/**
 * Turns ajv's errors (allErrors, verbose) into one detail per problem. A union (anyOf) fails with an
 * error per branch plus its own; those become one detail: "must be one of: a, b" for a list of
 * literals, else the errors of the one branch whose type the value has, else the forms accepted.
 */
export function validationDetails(errors: readonly ErrorObject[], part: RequestPart): ValidationDetail[] {
  const details = collapse(withoutRangeOfMalformed(errors), part)
  const seen = new Set<string>()
  return details.filter((d) => {
    const key = `${d.field}\n${d.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** A value that is not a date at all has no place in the range of dates: its format error says enough. */
function withoutRangeOfMalformed(errors: readonly ErrorObject[]): readonly ErrorObject[] {
  const parentOf = (e: ErrorObject) => e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/'))
  const malformed = new Set(errors.filter((e) => e.keyword === 'format').map((e) => `${e.instancePath} ${parentOf(e)}`))
  if (malformed.size === 0) return errors
  return errors.filter(
    (e) => !(e.keyword === 'formatMinimum' || e.keyword === 'formatMaximum') || !malformed.has(`${e.instancePath} ${parentOf(e)}`),
  )
}

function collapse(errors: readonly ErrorObject[], part: RequestPart): ValidationDetail[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  const outermost = unions.filter((u) => !unions.some((other) => other !== u && isUnder(u, other)))
  const groupOf = new Map<ErrorObject, ErrorObject>()
  for (const union of outermost) {
    groupOf.set(union, union)
    for (const error of errors) if (isUnder(error, union)) groupOf.set(error, union)
  }
  const details: ValidationDetail[] = []
  const done = new Set<ErrorObject>()
  for (const error of errors) {
    const union = groupOf.get(error)
    if (union === undefined) details.push(plainDetail(error, part))
    else if (!done.has(union)) {
      done.add(union)
      details.push(...unionDetails(union, errors.filter((e) => isUnder(e, union)), part))
    }
  }
  return details
}

/** True when `error` comes from a branch of `union` (the same value or one inside it). */
function isUnder(error: ErrorObject, union: ErrorObject): boolean {
  return (
    error.schemaPath.startsWith(`${union.schemaPath}/`) &&
    (error.instancePath === union.instancePath || error.instancePath.startsWith(`${union.instancePath}/`))
  )
}

function unionDetails(union: ErrorObject, members: ErrorObject[], part: RequestPart): ValidationDetail[] {
  const field = union.instancePath
  const branches = Array.isArray(union.schema) ? (union.schema as Schema[]) : []
  const literals = literalValues(branches)
  if (literals) return [oneOf(part, field, literals)]
  const intended = intendedBranch(union, members)
  if (intended !== undefined) {
    const details = collapse(
      members.filter((e) => e.schemaPath.startsWith(`${intended}/`)),
      part,
    )
    const description = (union.parentSchema as Schema | undefined)?.['description']
    const only = details.length === 1 ? details[0]! : undefined
    // The innermost union's description is the most specific one (a decimal inside "a percent or null").
    if (only?.field === field && typeof description === 'string' && !described.has(only)) {
      only.message += ` (${description})`
      described.add(only)
    }
    return details
  }
  return [{ in: part, field, message: `must be ${[...new Set(branches.flatMap(describeForms))].join(' or ')}` }]
}

/**
 * The branch the value was meant for: the only one whose type it has, or among several (objects of
 * different shapes) the one with strictly the fewest errors. Undefined when that does not decide.
 */
function intendedBranch(union: ErrorObject, members: ErrorObject[]): string | undefined {
  const branches = Array.isArray(union.schema) ? union.schema : []
  const fitting = branches
    .map((_, k) => `${union.schemaPath}/${k}`)
    .filter((path) => typeFits(path, union.instancePath, members))
    .map((path) => ({ path, errors: members.filter((e) => e.schemaPath.startsWith(`${path}/`)).length }))
    .sort((a, b) => a.errors - b.errors)
  if (fitting.length === 1 || (fitting.length > 1 && fitting[0]!.errors < fitting[1]!.errors)) return fitting[0]!.path
  return undefined
}

/** A branch fits when the value has its type: no `type` error at the branch itself, nor in all of its own branches. */
function typeFits(branchPath: string, field: string, members: ErrorObject[]): boolean {
  if (members.some((e) => e.schemaPath === `${branchPath}/type` && e.instancePath === field)) return false
  const nested = members.find((e) => e.keyword === 'anyOf' && e.schemaPath === `${branchPath}/anyOf` && e.instancePath === field)
  if (!nested || !Array.isArray(nested.schema)) return true
  return nested.schema.some((_, k) => typeFits(`${branchPath}/anyOf/${k}`, field, members))
}

/** The values of a union of literals (const, enum, null, nested unions of those), or undefined if it is not one. */
function literalValues(branches: Schema[]): unknown[] | undefined {
  const values: unknown[] = []
  for (const branch of branches) {
    if ('const' in branch) values.push(branch['const'])
    else if (Array.isArray(branch['enum'])) values.push(...branch['enum'])
    else if (branch['type'] === 'null') values.push(null)
    else if (Array.isArray(branch['anyOf'])) {
      const nested = literalValues(branch['anyOf'] as Schema[])
      if (!nested) return undefined
      values.push(...nested)
    } else return undefined
  }
  return values
}

const FORM_BY_TYPE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
}

/** How the date formats are named in messages; others as "a string in <format> format". */
const FORM_BY_FORMAT: Record<string, string> = {
  date: 'a calendar date such as 2026-01-31',
  'date-time': 'a timestamp with its offset such as 2026-01-31T09:30:00Z',
}

function describeFormat(schema: Schema): string {
  const format = String(schema['format'])
  const form = FORM_BY_FORMAT[format] ?? `a string in ${format} format`
  const from = schema['formatMinimum']
  const to = schema['formatMaximum']
  return typeof from === 'string' && typeof to === 'string' ? `${form}, from ${from} to ${to}` : form
}

function describeForms(schema: Schema): string[] {
  if (Array.isArray(schema['anyOf'])) return (schema['anyOf'] as Schema[]).flatMap(describeForms)
  const literals = literalValues([schema])
  if (literals) return literals.map(String)
  const type = typeof schema['type'] === 'string' ? schema['type'] : undefined
  const form = (type && FORM_BY_TYPE[type]) ?? 'a valid value'
  if (typeof schema['pattern'] === 'string') return [`${form} matching ${schema['pattern']}`]
  if (typeof schema['format'] === 'string') return [describeFormat(schema)]
  return [form]
}

/** True for the `not` that Text adds to every request string (see infra/http/schemas.ts). */
function isNulRefusal(error: ErrorObject): boolean {
  const schema = error.schema as Schema | undefined
  return error.keyword === 'not' && schema?.['pattern'] === '\\u0000'
}

function oneOf(part: RequestPart, field: string, allowed: unknown[]): ValidationDetail {
  return { in: part, field, message: `must be one of: ${allowed.map(String).join(', ')}`, allowed }
}

/** RFC 6901: '~' and '/' inside a property name are escaped. */
function pointerTo(parent: string, property: string): string {
  return `${parent}/${property.replaceAll('~', '~0').replaceAll('/', '~1')}`
}

function plainDetail(error: ErrorObject, part: RequestPart): ValidationDetail {
  const field = error.instancePath
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return { in: part, field: pointerTo(field, String(params['missingProperty'])), message: 'is required' }
    case 'additionalProperties': {
      const properties = (error.parentSchema as Schema | undefined)?.['properties']
      const known = properties && typeof properties === 'object' ? Object.keys(properties) : []
      const unknown = pointerTo(field, String(params['additionalProperty']))
      if (known.length === 0) return { in: part, field: unknown, message: 'is not a known field' }
      return { in: part, field: unknown, message: `is not a known field; known fields: ${known.join(', ')}`, allowed: known }
    }
    case 'enum':
      return oneOf(part, field, params['allowedValues'] as unknown[])
    case 'const':
      return { in: part, field, message: `must be ${String(params['allowedValue'])}`, allowed: [params['allowedValue']] }
    case 'type': {
      const type = String(params['type'])
      return { in: part, field, message: `must be ${FORM_BY_TYPE[type] ?? type}` }
    }
    case 'not':
      if (isNulRefusal(error)) return { in: part, field, message: 'must not contain the NUL character (\\u0000)' }
      return { in: part, field, message: error.message ?? 'is not valid' }
    case 'pattern': {
      // A pattern is exact but hard to read: the field's description says the same in words.
      const description = (error.parentSchema as Schema | undefined)?.['description']
      const message = error.message ?? 'is not valid'
      return { in: part, field, message: typeof description === 'string' ? `${message} (${description})` : message }
    }
    case 'format':
      return { in: part, field, message: `must be ${describeFormat((error.parentSchema ?? {}) as Schema)}` }
    case 'formatMinimum':
      return { in: part, field, message: `must not be before ${String(params['limit'])}` }
    case 'formatMaximum':
      return { in: part, field, message: `must not be after ${String(params['limit'])}` }
    default:
      return { in: part, field, message: error.message ?? 'is not valid' }
  }
}

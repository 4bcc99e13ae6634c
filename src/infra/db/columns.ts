/**
 * Column lists as data: a table's columns are named once, with their SQL types, and the SQL
 * fragments (column lists, unnest of array parameters, JSON objects) and the TypeScript row types
 * are built from that one list, so they cannot drift apart.
 */
import { type RawBuilder, sql } from 'kysely'
import { pgArray } from './pg-array.ts'

export type SqlType = 'bigint' | 'text' | 'numeric' | 'boolean' | 'timestamptz'
/** A column's SQL type; ` null` when it may be null. */
export type ColumnSpec = SqlType | `${SqlType} null`
export type Columns = Readonly<Record<string, ColumnSpec>>

/** The value a column holds as this project's drivers return it (int8 → number, numeric → exact string). */
export type ValueOf<S extends ColumnSpec> = S extends `${infer T extends SqlType} null`
  ? ValueOf<T> | null
  : S extends 'bigint'
    ? number
    : S extends 'boolean'
      ? boolean
      : S extends 'timestamptz'
        ? Date
        : string

export type RowOf<C extends Columns> = { -readonly [K in keyof C]: ValueOf<C[K]> }

export function pickColumns<C extends Columns, K extends keyof C & string>(columns: C, names: readonly K[]): Pick<C, K> {
  return Object.fromEntries(names.map((name) => [name, columns[name]])) as Pick<C, K>
}

const names = (columns: Columns) => Object.keys(columns)
const sqlType = (spec: ColumnSpec) => spec.replace(/ null$/, '')

/** `a, b, c` — optionally qualified: `t.a, t.b, t.c`. */
export function columnList(columns: Columns, alias?: string): RawBuilder<unknown> {
  const prefix = alias === undefined ? '' : `${alias}.`
  return sql.raw(
    names(columns)
      .map((name) => prefix + name)
      .join(', '),
  )
}

/** `a = t.a, b = t.b` for an UPDATE … FROM. */
export function assignFrom(columns: Columns, alias: string): RawBuilder<unknown> {
  return sql.raw(
    names(columns)
      .map((name) => `${name} = ${alias}.${name}`)
      .join(', '),
  )
}

/**
 * `unnest($1::bigint[], $2::text[], …) as alias(a, b, …)`: rows sent as one array parameter per
 * column, so a statement takes any number of rows with a fixed number of parameters. With
 * `ordinality`, that extra column numbers the rows from 1.
 */
export function unnestRows<C extends Columns>(
  columns: C,
  rows: readonly RowOf<C>[],
  options: { alias: string; ordinality?: string },
): RawBuilder<unknown> {
  const arrays = names(columns).map(
    (name) => sql`${pgArray(rows.map((row) => row[name] as Exclude<ValueOf<ColumnSpec>, Date>))}::${sql.raw(sqlType(columns[name]!))}[]`,
  )
  const numbered = options.ordinality === undefined ? sql`` : sql` with ordinality`
  const extra = options.ordinality === undefined ? '' : `, ${options.ordinality}`
  return sql`unnest(${sql.join(arrays)})${numbered} as ${sql.raw(options.alias)}(${columnList(columns)}${sql.raw(extra)})`
}

/**
 * `json_build_object('a', alias.a, 'b', alias.b::text, …)`. Numerics leave as text: a JSON number
 * would pass through binary floating point on the way back.
 */
export function jsonObjectOf(columns: Columns, alias: string): RawBuilder<unknown> {
  const pairs = names(columns).map((name) => {
    const value = sqlType(columns[name]!) === 'numeric' ? `${alias}.${name}::text` : `${alias}.${name}`
    return `'${name}', ${value}`
  })
  return sql.raw(`json_build_object(${pairs.join(', ')})`)
}

import type { ColumnDef, Constraint, CreateStmt, Node, RangeVar, ReindexStmt } from 'libpg-query'

/** Small readers over libpg-query parse trees, and PostgreSQL's rules for names. */

/** Tables are keyed `name`, or `schema.name` outside public; `display` is quoted like SQL. */
export interface TableRef {
  key: string
  display: string
}

export function tableKeyOf(schema: string | undefined, name: string): string {
  return schema && schema !== 'public' ? `${schema}.${name}` : name
}

export function tableKey(relation: RangeVar | undefined): string {
  return tableKeyOf(relation?.schemaname, relation?.relname ?? '')
}

export function tableRef(relation: RangeVar | undefined): TableRef {
  const name = quoteIdent(relation?.relname ?? '')
  const schema = relation?.schemaname
  return { key: tableKey(relation), display: schema && schema !== 'public' ? `${quoteIdent(schema)}.${name}` : name }
}

export function displayKey(key: string): string {
  return key.split('.').map(quoteIdent).join('.')
}

/** `DROP TABLE a, s.b` lists each object as a list of name parts. */
export function objectKey(node: Node): string {
  const parts = 'List' in node ? (node.List.items ?? []).map(stringValue) : [stringValue(node)]
  const name = parts.at(-1) ?? ''
  return tableKeyOf(parts.length > 1 ? parts.at(-2) : undefined, name)
}

export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`
}

/**
 * `product.legacy_code`, `"Order"."Total"`: splits on dots outside double quotes and folds unquoted
 * parts to lower case, as PostgreSQL does. Undefined when the text is not a dotted name.
 */
export function parseQualifiedName(text: string): string[] | undefined {
  const parts: string[] = []
  let i = 0
  while (i < text.length) {
    if (text[i] === '"') {
      let part = ''
      i++
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          part += '"'
          i += 2
        } else if (text[i] === '"') break
        else part += text[i++]
      }
      if (text[i] !== '"' || part === '') return undefined
      parts.push(part)
      i++
    } else {
      let end = i
      while (end < text.length && text[end] !== '.' && text[end] !== '"') end++
      const part = text.slice(i, end)
      if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(part)) return undefined
      parts.push(part.toLowerCase())
      i = end
    }
    if (i === text.length) break
    if (text[i] !== '.') return undefined
    i++
    if (i === text.length) return undefined
  }
  return parts.length > 0 ? parts : undefined
}

export function stringValue(node: Node | undefined): string {
  return node && 'String' in node ? (node.String.sval ?? '') : ''
}

export function stringConstant(node: Node | undefined): string | undefined {
  return node && 'A_Const' in node ? constantText(node.A_Const) : undefined
}

export function constantText(constant: { sval?: { sval?: string }; ival?: { ival?: number }; fval?: { fval?: string } }) {
  if (constant.sval) return constant.sval.sval ?? ''
  if (constant.ival) return String(constant.ival.ival ?? 0)
  if (constant.fval) return constant.fval.fval ?? '0'
  return undefined
}

export function isNullConstant(node: Node | undefined): boolean {
  return node !== undefined && 'A_Const' in node && node.A_Const.isnull === true
}

export function constraintsOf(column: ColumnDef): Constraint[] {
  return (column.constraints ?? []).flatMap((n) => ('Constraint' in n ? [n.Constraint] : []))
}

export function allConstraints(stmt: CreateStmt): Constraint[] {
  return (stmt.tableElts ?? []).flatMap((element) => {
    if ('Constraint' in element) return [element.Constraint]
    if ('ColumnDef' in element) return constraintsOf(element.ColumnDef)
    return []
  })
}

/** The column of `CHECK (column IS NOT NULL)`, the shape that lets SET NOT NULL skip its scan. */
export function notNullCheckColumn(constraint: Constraint): string | undefined {
  const expr = constraint.raw_expr
  if (constraint.contype !== 'CONSTR_CHECK' || !expr || !('NullTest' in expr)) return undefined
  const test = expr.NullTest
  if (test.nulltesttype !== 'IS_NOT_NULL' || !test.arg || !('ColumnRef' in test.arg)) return undefined
  const fields = test.arg.ColumnRef.fields ?? []
  return fields.length === 1 ? stringValue(fields[0]) : undefined
}

export function isConcurrentReindex(stmt: ReindexStmt): boolean {
  return (stmt.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently')
}

/** Every function call anywhere inside a parse tree, with its unqualified name. */
export function functionCalls(tree: unknown): { name: string; args: Node[] }[] {
  const calls: { name: string; args: Node[] }[] = []
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
      return
    }
    if (typeof value !== 'object' || value === null) return
    for (const [key, child] of Object.entries(value)) {
      if (key === 'FuncCall') {
        const call = child as { funcname?: Node[]; args?: Node[] }
        calls.push({ name: stringValue(call.funcname?.at(-1)), args: call.args ?? [] })
      }
      visit(child)
    }
  }
  visit(tree)
  return calls
}

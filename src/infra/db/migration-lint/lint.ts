import type {
  AlterTableCmd,
  AlterTableStmt,
  ColumnDef,
  Constraint,
  CreateStmt,
  DropStmt,
  IndexStmt,
  Node,
  RangeVar,
  ReindexStmt,
  RenameStmt,
  VariableSetStmt,
} from 'libpg-query'
import {
  allConstraints,
  constantText,
  constraintsOf,
  displayKey,
  functionCalls,
  isConcurrentReindex,
  isNullConstant,
  notNullCheckColumn,
  objectKey,
  parseQualifiedName,
  quoteIdent,
  stringConstant,
  stringValue,
  type TableRef,
  tableKey,
  tableKeyOf,
  tableRef,
} from './ast.ts'
import { type ColumnType, classifyTypeChange, columnTypeOf, describeType } from './column-types.ts'
import { DEFAULT_DEPRECATION_DISTANCE, isRuleName, type RuleName } from './rules.ts'
import { loadSqlParser, type ParsedSql, parseSql, runsInTransaction, type SqlComment, type SqlStatement } from './sql-source.ts'

export interface MigrationSource {
  name: string
  sql: string
}

export interface LintOptions {
  /** How many migration files must separate `-- brisk:deprecate x` from the file that drops x. */
  deprecationDistance?: number
  /** Report only these files; the others still tell which tables exist and what was deprecated. */
  onlyFiles?: Iterable<string>
}

export interface Violation {
  file: string
  line: number
  rule: RuleName
  /** What this statement does, in its own names; the rule's why and fix are in RULES. */
  message: string
}

/**
 * Lints migrations in the order they run. Earlier files tell the linter which tables, columns and
 * column types exist and what was deprecated; nothing touches a database.
 */
export async function lintMigrations(files: readonly MigrationSource[], options: LintOptions = {}): Promise<Violation[]> {
  await loadSqlParser()
  const only = options.onlyFiles ? new Set(options.onlyFiles) : undefined
  const history: History = {
    tables: new Map(),
    indexTables: new Map(),
    deprecations: new Map(),
    deprecationDistance: options.deprecationDistance ?? DEFAULT_DEPRECATION_DISTANCE,
  }
  const violations: Violation[] = []
  files.forEach((file, index) => {
    const found = new FileLinter(file, index, history).lint()
    if (!only || only.has(file.name)) violations.push(...found)
  })
  return violations
}

interface TableState {
  /** Columns the linter saw created; a missing entry means "type unknown" (LIKE, AS SELECT, …). */
  columns: Map<string, ColumnType>
  /** Named CHECK (column IS NOT NULL) constraints: a validated one makes SET NOT NULL skip its scan. */
  notNullChecks: Map<string, { column: string; validated: boolean }>
}

/** What the files before the current one did. Tables are keyed `name`, or `schema.name` outside public. */
interface History {
  tables: Map<string, TableState>
  indexTables: Map<string, string>
  deprecations: Map<string, { fileIndex: number; fileName: string }>
  deprecationDistance: number
}

interface Finding {
  rule: RuleName
  line: number
  message: string
  /** The statement whose `-- brisk:allow` can silence the finding; none for directive errors. */
  statement: SqlStatement | undefined
}

const VOLATILE_FUNCTIONS = new Set([
  'random',
  'random_normal',
  'gen_random_uuid',
  'gen_random_bytes',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'pg_current_xact_id',
])

const RENAMED_RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'])

class FileLinter {
  readonly #file: MigrationSource
  readonly #fileIndex: number
  readonly #history: History
  readonly #transactional: boolean
  readonly #findings: Finding[] = []
  readonly #tablesCreatedHere = new Set<string>()
  readonly #indexesCreatedHere = new Set<string>()
  readonly #notValidConstraintsHere = new Set<string>()
  #lockTimeoutSet = false
  #lockTimeoutReported = false
  #statement: SqlStatement | undefined
  #parsed: ParsedSql | undefined

  constructor(file: MigrationSource, fileIndex: number, history: History) {
    this.#file = file
    this.#fileIndex = fileIndex
    this.#history = history
    this.#transactional = runsInTransaction(file.sql)
  }

  lint(): Violation[] {
    const outcome = parseSql(this.#file.sql)
    if (!outcome.ok) {
      return [{ file: this.#file.name, line: outcome.line, rule: 'syntax-error', message: outcome.message }]
    }
    this.#parsed = outcome.parsed
    this.#readDirectives(outcome.parsed)
    for (const statement of outcome.parsed.statements) {
      this.#statement = statement
      this.#checkLockTimeout(statement.node)
      this.#checkStatement(statement.node)
    }
    this.#statement = undefined
    const allowed = this.#readAllows(outcome.parsed)
    return this.#findings
      .filter((f) => !(f.statement && allowed.get(f.statement)?.has(f.rule)))
      .sort((a, b) => a.line - b.line)
      .map((f) => ({ file: this.#file.name, line: f.line, rule: f.rule, message: f.message }))
  }

  #report(rule: RuleName, line: number, message: string): void {
    this.#findings.push({ rule, line, message, statement: this.#statement })
  }

  #lineOf(byteOffset: number | undefined): number {
    if (byteOffset === undefined || !this.#parsed) return this.#statement?.line ?? 1
    return this.#parsed.lineOf(byteOffset)
  }

  // ── directives ────────────────────────────────────────────────────────────────────────────────

  #readDirectives(parsed: ParsedSql): void {
    for (const comment of parsed.comments) {
      const directive = /^brisk:(\S*)\s*([\s\S]*)$/.exec(comment.body)
      if (!directive) continue
      const [, name = '', argument = ''] = directive
      if (name === 'no-transaction') {
        if (comment.start !== parsed.firstTokenStart || this.#transactional) {
          this.#directiveError(comment, '`-- brisk:no-transaction` only counts as the first line of the file')
        }
      } else if (name === 'deprecate') {
        this.#recordDeprecation(comment, argument)
      } else if (name !== 'allow') {
        this.#directiveError(comment, `unknown directive "brisk:${name}"`)
      }
    }
  }

  #directiveError(comment: SqlComment, message: string): void {
    this.#findings.push({ rule: 'invalid-directive', line: comment.line, message, statement: undefined })
  }

  #recordDeprecation(comment: SqlComment, argument: string): void {
    const parts = parseQualifiedName(argument.split(/\s+/)[0] ?? '')
    if (!parts || parts.length > 3) {
      this.#directiveError(comment, 'write `-- brisk:deprecate <table>` or `-- brisk:deprecate <table>.<column>`')
      return
    }
    const [first = '', second, third] = parts
    const key =
      parts.length === 1
        ? deprecationKey(first)
        : parts.length === 2
          ? deprecationKey(first, second)
          : deprecationKey(tableKeyOf(first, second ?? ''), third)
    if (!this.#history.deprecations.has(key)) {
      this.#history.deprecations.set(key, { fileIndex: this.#fileIndex, fileName: this.#file.name })
    }
  }

  /** Rules allowed per statement; an allow without a reason still allows, and is reported itself. */
  #readAllows(parsed: ParsedSql): Map<SqlStatement, Set<string>> {
    const allowed = new Map<SqlStatement, Set<string>>()
    const owners = new Map<SqlComment, SqlStatement>()
    for (const statement of parsed.statements) for (const comment of statement.comments) owners.set(comment, statement)
    for (const comment of parsed.comments) {
      const directive = /^brisk:allow\b\s*([\s\S]*)$/.exec(comment.body)
      if (!directive) continue
      const [rulesText = '', reason] = (directive[1] ?? '').split(/\bbecause\b/, 2)
      const rules = rulesText.split(/[\s,]+/).filter(Boolean)
      const statement = owners.get(comment)
      if (rules.length === 0) {
        this.#directiveError(comment, 'write `-- brisk:allow <rule> because <reason>`')
        continue
      }
      const unknown = rules.filter((rule) => !isRuleName(rule))
      if (unknown.length > 0) this.#directiveError(comment, `unknown rule ${unknown.map((r) => `"${r}"`).join(', ')}`)
      if (!statement) this.#directiveError(comment, 'this allow is not attached to any statement')
      if (!reason?.trim()) {
        this.#findings.push({
          rule: 'allow-without-reason',
          line: comment.line,
          message: `\`brisk:allow ${rules.join(', ')}\` gives no reason`,
          statement: undefined,
        })
      }
      if (statement) {
        const set = allowed.get(statement) ?? new Set<string>()
        for (const rule of rules) set.add(rule)
        allowed.set(statement, set)
      }
    }
    return allowed
  }

  /** Why dropping this table or column is premature, or undefined when its deprecation is old enough. */
  #dropProblem(table: string, column: string | undefined, target: string): string | undefined {
    const markers = [this.#history.deprecations.get(deprecationKey(table, column))]
    if (column !== undefined) markers.push(this.#history.deprecations.get(deprecationKey(table)))
    const distance = this.#history.deprecationDistance
    const marker = markers.find((m) => m !== undefined)
    if (!marker) return `, which no \`-- brisk:deprecate ${target}\` marked at least ${distance} migration(s) earlier`
    const gap = this.#fileIndex - marker.fileIndex
    if (gap >= distance) return undefined
    return ` ${gap} migration(s) after its deprecation in ${marker.fileName}; the drop must wait at least ${distance}`
  }

  // ── lock_timeout ──────────────────────────────────────────────────────────────────────────────

  #checkLockTimeout(node: Node): void {
    if ('VariableSetStmt' in node) this.#trackLockTimeoutSet(node.VariableSetStmt)
    for (const call of functionCalls(node)) {
      if (call.name !== 'set_config' || stringConstant(call.args[0]) !== 'lock_timeout') continue
      const isLocal = call.args[2] !== undefined && 'A_Const' in call.args[2] && call.args[2].A_Const.boolval?.boolval
      if (isLocal && !this.#transactional) continue
      this.#lockTimeoutSet = !isZeroDuration(stringConstant(call.args[1]))
    }
    if (this.#lockTimeoutSet || this.#lockTimeoutReported || !this.#locksExistingTable(node)) return
    this.#lockTimeoutReported = true
    this.#report(
      'missing-lock-timeout',
      this.#statement?.line ?? 1,
      'this statement waits for a lock on an existing table, and the file sets no lock_timeout before it',
    )
  }

  #trackLockTimeoutSet(stmt: VariableSetStmt): void {
    if (stmt.kind === 'VAR_RESET_ALL') this.#lockTimeoutSet = false
    if (stmt.name !== 'lock_timeout') return
    if (stmt.kind !== 'VAR_SET_VALUE') {
      this.#lockTimeoutSet = false
      return
    }
    // SET LOCAL ends with the statement's own transaction when the file runs outside one.
    if (stmt.is_local && !this.#transactional) return
    const value = stmt.args?.[0]
    const text = value && 'A_Const' in value ? constantText(value.A_Const) : undefined
    this.#lockTimeoutSet = !isZeroDuration(text)
  }

  #isExisting(relation: RangeVar | undefined): boolean {
    return !this.#tablesCreatedHere.has(tableKey(relation))
  }

  /** Statements that queue behind (and then in front of) other sessions' locks on a table. */
  #locksExistingTable(node: Node): boolean {
    if ('AlterTableStmt' in node) {
      const key = tableKey(node.AlterTableStmt.relation)
      return !this.#tablesCreatedHere.has(key) && !this.#indexesCreatedHere.has(key)
    }
    if ('RenameStmt' in node) return node.RenameStmt.relation !== undefined && this.#isExisting(node.RenameStmt.relation)
    if ('IndexStmt' in node) return !node.IndexStmt.concurrent && this.#isExisting(node.IndexStmt.relation)
    if ('DropStmt' in node) return this.#dropsExisting(node.DropStmt)
    if ('CreateStmt' in node) {
      const stmt = node.CreateStmt
      const referenced = [...(stmt.inhRelations ?? []).flatMap((n) => ('RangeVar' in n ? [n.RangeVar] : []))]
      for (const constraint of allConstraints(stmt)) if (constraint.pktable) referenced.push(constraint.pktable)
      const own = tableKey(stmt.relation)
      return referenced.some((r) => tableKey(r) !== own && this.#isExisting(r))
    }
    if ('TruncateStmt' in node) {
      return (node.TruncateStmt.relations ?? []).some((n) => 'RangeVar' in n && this.#isExisting(n.RangeVar))
    }
    if ('CreateTrigStmt' in node) return this.#isExisting(node.CreateTrigStmt.relation)
    if ('LockStmt' in node) return true
    if ('ReindexStmt' in node) return !isConcurrentReindex(node.ReindexStmt)
    return false
  }

  #dropsExisting(stmt: DropStmt): boolean {
    const keys = (stmt.objects ?? []).map(objectKey)
    if (stmt.removeType === 'OBJECT_TABLE') return keys.some((key) => !this.#tablesCreatedHere.has(key))
    if (stmt.removeType === 'OBJECT_INDEX' && !stmt.concurrent) return keys.some((key) => !this.#indexIsNewHere(key))
    return false
  }

  #indexIsNewHere(indexKey: string): boolean {
    const table = this.#history.indexTables.get(indexKey)
    return this.#indexesCreatedHere.has(indexKey) || (table !== undefined && this.#tablesCreatedHere.has(table))
  }

  // ── statements ────────────────────────────────────────────────────────────────────────────────

  #checkStatement(node: Node): void {
    if ('CreateStmt' in node) this.#checkCreateTable(node.CreateStmt)
    else if ('CreateTableAsStmt' in node) this.#recordNewTable(node.CreateTableAsStmt.into?.rel, new Map(), false)
    else if ('AlterTableStmt' in node) this.#checkAlterTable(node.AlterTableStmt)
    else if ('RenameStmt' in node) this.#checkRename(node.RenameStmt)
    else if ('IndexStmt' in node) this.#checkCreateIndex(node.IndexStmt)
    else if ('DropStmt' in node) this.#checkDrop(node.DropStmt)
    else if ('ReindexStmt' in node) this.#checkReindex(node.ReindexStmt)
    else if ('TransactionStmt' in node) {
      this.#report(
        'transaction-control',
        this.#statement?.line ?? 1,
        `${this.#statement?.tokens[0]?.text.toUpperCase() ?? 'transaction statement'} inside a migration file`,
      )
    }
  }

  #checkCreateTable(stmt: CreateStmt): void {
    const table = tableRef(stmt.relation)
    const columns = new Map<string, ColumnType>()
    const definitions = new Map<string, ColumnDef>()
    for (const element of stmt.tableElts ?? []) {
      if (!('ColumnDef' in element)) continue
      const column = element.ColumnDef
      if (!column.colname || !column.typeName) continue
      columns.set(column.colname, columnTypeOf(column.typeName))
      definitions.set(column.colname, column)
      this.#checkColumnTypeChoice(`${table.display}.${quoteIdent(column.colname)}`, column, this.#lineOf(column.location))
      if (constraintsOf(column).some((c) => c.contype === 'CONSTR_PRIMARY')) this.#checkPrimaryKeyType(table, column)
    }
    const notNullChecks = new Map<string, { column: string; validated: boolean }>()
    for (const element of stmt.tableElts ?? []) {
      if (!('Constraint' in element)) continue
      const constraint = element.Constraint
      const keys = (constraint.keys ?? []).map(stringValue)
      const keyColumn = keys.length === 1 && keys[0] ? definitions.get(keys[0]) : undefined
      if (constraint.contype === 'CONSTR_PRIMARY' && keyColumn) this.#checkPrimaryKeyType(table, keyColumn)
      const checked = notNullCheckColumn(constraint)
      if (checked && constraint.conname) notNullChecks.set(constraint.conname, { column: checked, validated: true })
    }
    this.#recordNewTable(stmt.relation, columns, stmt.if_not_exists ?? false, notNullChecks)
  }

  #recordNewTable(
    relation: RangeVar | undefined,
    columns: Map<string, ColumnType>,
    ifNotExists: boolean,
    notNullChecks = new Map<string, { column: string; validated: boolean }>(),
  ): void {
    const key = tableKey(relation)
    // CREATE TABLE IF NOT EXISTS on a table an earlier file made does nothing: it stays an existing table.
    if (ifNotExists && this.#history.tables.has(key)) return
    this.#history.tables.set(key, { columns, notNullChecks })
    this.#tablesCreatedHere.add(key)
  }

  #checkColumnTypeChoice(name: string, column: ColumnDef, line: number): void {
    if (!column.typeName) return
    const type = columnTypeOf(column.typeName)
    if (type.name === 'bpchar') this.#report('prefer-text-over-char', line, `${name} is ${describeType(type)}`)
    if (type.name === 'timestamp') this.#report('prefer-timestamptz', line, `${name} is timestamp without time zone`)
    if (type.name === 'json') this.#report('prefer-jsonb', line, `${name} is json`)
  }

  #checkPrimaryKeyType(table: TableRef, column: ColumnDef): void {
    if (!column.typeName) return
    const type = columnTypeOf(column.typeName)
    const small = type.name === 'int2' || type.name === 'int4'
    if (!small && !(type.name === 'int8' && type.isSerial)) return
    this.#report(
      'prefer-bigint-identity',
      this.#lineOf(column.location),
      `primary key ${table.display}.${quoteIdent(column.colname ?? '')} is ${describeType(type)}`,
    )
  }

  #checkAlterTable(stmt: AlterTableStmt): void {
    if (stmt.objtype !== 'OBJECT_TABLE') return
    const table = tableRef(stmt.relation)
    const existing = !this.#tablesCreatedHere.has(table.key)
    const commands = (stmt.cmds ?? []).flatMap((n) => ('AlterTableCmd' in n ? [n.AlterTableCmd] : []))
    const lines = this.#commandLines(commands.length, stmt.relation)
    commands.forEach((command, i) => {
      const line = lines[i] ?? this.#statement?.line ?? 1
      this.#checkAlterTableCommand(table, existing, command, line)
    })
  }

  #checkAlterTableCommand(table: TableRef, existing: boolean, command: AlterTableCmd, line: number): void {
    const state = this.#tableState(table.key)
    const column = command.name ?? ''
    const def = command.def
    switch (command.subtype) {
      case 'AT_AddColumn':
        if (def && 'ColumnDef' in def) this.#checkAddColumn(table, existing, def.ColumnDef, line)
        break
      case 'AT_AlterColumnType':
        if (def && 'ColumnDef' in def) this.#checkTypeChange(table, existing, column, def.ColumnDef, line)
        break
      case 'AT_DropColumn': {
        const target = `${table.display}.${quoteIdent(column)}`
        const problem = existing ? this.#dropProblem(table.key, column, target) : undefined
        if (problem) this.#report('drop-column', line, `drops ${target}${problem}`)
        state.columns.delete(column)
        break
      }
      case 'AT_SetNotNull': {
        const proven = [...state.notNullChecks.values()].some((c) => c.column === column && c.validated)
        if (existing && !proven) {
          this.#report('set-not-null', line, `sets ${table.display}.${quoteIdent(column)} NOT NULL, scanning the table under lock`)
        }
        break
      }
      case 'AT_AddConstraint':
        if (def && 'Constraint' in def) this.#checkAddConstraint(table, existing, def.Constraint, line)
        break
      case 'AT_ValidateConstraint': {
        if (existing && this.#transactional && this.#notValidConstraintsHere.has(`${table.key}\u0000${column}`)) {
          this.#report(
            'validate-in-same-transaction',
            line,
            `validates ${quoteIdent(column)} in the transaction that added it NOT VALID`,
          )
        }
        const check = state.notNullChecks.get(column)
        if (check) check.validated = true
        break
      }
      case 'AT_DropConstraint':
        state.notNullChecks.delete(column)
        break
      case 'AT_DetachPartition':
        if (def && 'PartitionCmd' in def && def.PartitionCmd.concurrent && this.#transactional) {
          this.#report('concurrently-in-transaction', line, 'DETACH PARTITION … CONCURRENTLY in a transactional file')
        }
        break
    }
  }

  #checkAddColumn(table: TableRef, existing: boolean, column: ColumnDef, line: number): void {
    const name = `${table.display}.${quoteIdent(column.colname ?? '')}`
    this.#checkColumnTypeChoice(name, column, line)
    const type = column.typeName ? columnTypeOf(column.typeName) : undefined
    if (type && column.colname) this.#tableState(table.key).columns.set(column.colname, type)
    if (!existing) return
    const constraints = constraintsOf(column)
    const defaultConstraint = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')
    const hasDefault = defaultConstraint !== undefined && !isNullConstant(defaultConstraint.raw_expr)
    const generator = perRowValueSource(type, constraints)
    if (generator) {
      this.#report('volatile-default', line, `adds ${name} with ${generator}, computed for every existing row`)
    } else if (constraints.some((c) => c.contype === 'CONSTR_NOTNULL') && !hasDefault) {
      this.#report('not-null-without-default', line, `adds ${name} NOT NULL without a default`)
    }
    for (const constraint of constraints) {
      if (constraint.contype === 'CONSTR_FOREIGN' || constraint.contype === 'CONSTR_CHECK') {
        const kind = constraint.contype === 'CONSTR_FOREIGN' ? 'REFERENCES' : 'CHECK'
        this.#report(
          'constraint-without-not-valid',
          line,
          `adds ${name} with an inline ${kind}, which is validated against every row (inline constraints cannot be NOT VALID)`,
        )
      }
      if (constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY') {
        const kind = constraint.contype === 'CONSTR_UNIQUE' ? 'UNIQUE' : 'PRIMARY KEY'
        this.#report('add-unique-constraint', line, `adds ${name} as ${kind}, building its index under lock`)
      }
    }
  }

  #checkTypeChange(table: TableRef, existing: boolean, column: string, def: ColumnDef, line: number): void {
    if (!def.typeName) return
    const name = `${table.display}.${quoteIdent(column)}`
    this.#checkColumnTypeChoice(name, def, line)
    const next = columnTypeOf(def.typeName)
    const state = this.#tableState(table.key)
    const previous = state.columns.get(column)
    state.columns.set(column, next)
    if (!existing) return
    if (!previous) {
      this.#report(
        'change-column-type',
        line,
        `changes ${name} to ${describeType(next)}; its current type is unknown to the linter`,
      )
      return
    }
    const using = def.raw_default !== undefined
    const change = classifyTypeChange(previous, next, using)
    const fromTo = `${describeType(previous)} → ${describeType(next)}`
    if (change === 'narrowing') {
      this.#report('narrow-column-type', line, `narrows ${name}: ${fromTo} cannot hold every old value`)
    } else if (change === 'rewrite') {
      this.#report('change-column-type', line, `changes ${name}: ${fromTo}${using ? ' with USING' : ''} rewrites the table`)
    }
  }

  #checkAddConstraint(table: TableRef, existing: boolean, constraint: Constraint, line: number): void {
    const name = constraint.conname ? ` ${quoteIdent(constraint.conname)}` : ''
    const notValid = constraint.skip_validation === true
    if (constraint.contype === 'CONSTR_FOREIGN' || constraint.contype === 'CONSTR_CHECK') {
      const kind = constraint.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK'
      if (existing && !notValid) {
        this.#report('constraint-without-not-valid', line, `adds ${kind}${name} to ${table.display} without NOT VALID`)
      }
      if (notValid && constraint.conname) this.#notValidConstraintsHere.add(`${table.key}\u0000${constraint.conname}`)
      const checked = notNullCheckColumn(constraint)
      if (checked && constraint.conname) {
        this.#tableState(table.key).notNullChecks.set(constraint.conname, { column: checked, validated: !notValid })
      }
    }
    if ((constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY') && !constraint.indexname) {
      const kind = constraint.contype === 'CONSTR_UNIQUE' ? 'UNIQUE' : 'PRIMARY KEY'
      if (existing) this.#report('add-unique-constraint', line, `adds ${kind}${name} to ${table.display} without USING INDEX`)
    }
  }

  #checkRename(stmt: RenameStmt): void {
    if (!stmt.relation) return
    const table = tableRef(stmt.relation)
    const existing = this.#isExisting(stmt.relation)
    const line = this.#statement?.line ?? 1
    const newName = stmt.newname ?? ''
    if (stmt.renameType === 'OBJECT_COLUMN') {
      const column = stmt.subname ?? ''
      if (existing) {
        this.#report('rename-column', line, `renames ${table.display}.${quoteIdent(column)} to ${quoteIdent(newName)}`)
      }
      const state = this.#tableState(table.key)
      const type = state.columns.get(column)
      state.columns.delete(column)
      if (type) state.columns.set(newName, type)
    } else if (stmt.renameType && RENAMED_RELATIONS.has(stmt.renameType)) {
      if (existing) this.#report('rename-table', line, `renames ${table.display} to ${quoteIdent(newName)}`)
      const newKey = tableKeyOf(stmt.relation.schemaname, newName)
      const state = this.#history.tables.get(table.key)
      this.#history.tables.delete(table.key)
      if (state) this.#history.tables.set(newKey, state)
      if (this.#tablesCreatedHere.delete(table.key)) this.#tablesCreatedHere.add(newKey)
    } else if (stmt.renameType === 'OBJECT_INDEX') {
      const indexTable = this.#history.indexTables.get(table.key)
      this.#history.indexTables.delete(table.key)
      if (indexTable) this.#history.indexTables.set(tableKeyOf(stmt.relation.schemaname, newName), indexTable)
    }
  }

  #checkCreateIndex(stmt: IndexStmt): void {
    const table = tableRef(stmt.relation)
    const line = this.#statement?.line ?? 1
    const index = stmt.idxname ? `index ${quoteIdent(stmt.idxname)}` : 'an index'
    if (stmt.concurrent && this.#transactional) {
      this.#report('concurrently-in-transaction', line, `creates ${index} CONCURRENTLY in a transactional file`)
    } else if (!stmt.concurrent && this.#isExisting(stmt.relation)) {
      this.#report('index-without-concurrently', line, `creates ${index} on ${table.display} without CONCURRENTLY`)
    }
    if (stmt.idxname) {
      const key = tableKeyOf(stmt.relation?.schemaname, stmt.idxname)
      this.#history.indexTables.set(key, table.key)
      this.#indexesCreatedHere.add(key)
    }
  }

  #checkDrop(stmt: DropStmt): void {
    const line = this.#statement?.line ?? 1
    const keys = (stmt.objects ?? []).map(objectKey)
    if (stmt.removeType === 'OBJECT_TABLE') {
      for (const key of keys) {
        const problem = this.#tablesCreatedHere.has(key) ? undefined : this.#dropProblem(key, undefined, displayKey(key))
        if (problem) this.#report('drop-table', line, `drops ${displayKey(key)}${problem}`)
        this.#history.tables.delete(key)
        this.#tablesCreatedHere.delete(key)
      }
    }
    if (stmt.removeType === 'OBJECT_INDEX') {
      if (stmt.concurrent && this.#transactional) {
        this.#report('concurrently-in-transaction', line, 'DROP INDEX CONCURRENTLY in a transactional file')
      }
      for (const key of keys) {
        if (!stmt.concurrent && !this.#indexIsNewHere(key)) {
          this.#report('index-without-concurrently', line, `drops index ${displayKey(key)} without CONCURRENTLY`)
        }
        this.#history.indexTables.delete(key)
        this.#indexesCreatedHere.delete(key)
      }
    }
  }

  #checkReindex(stmt: ReindexStmt): void {
    const line = this.#statement?.line ?? 1
    const concurrent = isConcurrentReindex(stmt)
    if (concurrent && this.#transactional) {
      this.#report('concurrently-in-transaction', line, 'REINDEX … CONCURRENTLY in a transactional file')
      return
    }
    if (concurrent) return
    const key = tableKey(stmt.relation)
    const isNew = stmt.relation !== undefined && (this.#tablesCreatedHere.has(key) || this.#indexIsNewHere(key))
    const target = stmt.relation ? displayKey(key) : (stmt.name ?? '')
    if (!isNew) this.#report('index-without-concurrently', line, `REINDEX ${target} without CONCURRENTLY`)
  }

  #tableState(key: string): TableState {
    let state = this.#history.tables.get(key)
    if (!state) {
      state = { columns: new Map(), notNullChecks: new Map() }
      this.#history.tables.set(key, state)
    }
    return state
  }

  /**
   * Line of each command of an ALTER TABLE: the first starts after the table name, the others
   * after each comma outside parentheses. Falls back to the statement's line if the counts disagree.
   */
  #commandLines(count: number, relation: RangeVar | undefined): number[] {
    const statement = this.#statement
    if (!statement) return []
    const fallback = Array.from({ length: count }, () => statement.line)
    const tokens = statement.tokens
    let i = tokens.findIndex((t) => t.start === relation?.location)
    if (i < 0) return fallback
    i++
    while (tokens[i]?.text === '.') i += 2
    if (tokens[i]?.text === '*') i++
    const starts = [tokens[i]?.start]
    let depth = 0
    for (let j = i; j < tokens.length; j++) {
      const text = tokens[j]?.text
      if (text === '(' || text === '[') depth++
      else if (text === ')' || text === ']') depth--
      else if (text === ',' && depth === 0) starts.push(tokens[j + 1]?.start)
    }
    if (starts.length !== count) return fallback
    return starts.map((start) => this.#lineOf(start))
  }
}

/** What computes a new column's value for each existing row, which makes PostgreSQL rewrite the table. */
function perRowValueSource(type: ColumnType | undefined, constraints: Constraint[]): string | undefined {
  if (type?.isSerial) return describeType(type)
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY')) return 'an identity'
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED')) return 'a stored generated expression'
  const defaultExpression = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr
  const volatileCall = functionCalls(defaultExpression).find((call) => VOLATILE_FUNCTIONS.has(call.name))
  return volatileCall ? `${volatileCall.name}()` : undefined
}

/** Deprecations are keyed by table, or by table and column. */
function deprecationKey(table: string, column?: string): string {
  return `${table}\u0000${column ?? ''}`
}

function isZeroDuration(value: string | undefined): boolean {
  return value === undefined || Number.parseFloat(value) === 0
}

/**
 * Every rule the migration linter enforces: why the change hurts a live database and the safe
 * recipe. Names are stable: they appear in `-- brisk:allow <rule>` comments and in JSON output.
 * Recipes are spelled out in docs/migrations.md.
 */
export interface RuleDescription {
  why: string
  fix: string
  /** Section of docs/migrations.md with the step-by-step recipe. */
  docs: string
}

export const DEFAULT_DEPRECATION_DISTANCE = 2

const DOCS = 'docs/migrations.md'

export const RULES = {
  'rename-column': {
    why: 'Servers still running the previous release read and write the old name; every such query fails from the moment this commits until the last server runs new code, and rolling the code back fails the same way.',
    fix: 'Expand/contract: add the new column, write both from the code, backfill, switch reads, then deprecate the old column and drop it later.',
    docs: `${DOCS}#rename-a-column-or-a-table`,
  },
  'rename-table': {
    why: 'Servers still running the previous release use the old table name; their queries fail from the moment this commits, and rolling the code back fails the same way.',
    fix: 'Create the new table, write both (or put a view with the old name in front of the new table), backfill, switch reads, then deprecate the old table and drop it later.',
    docs: `${DOCS}#rename-a-column-or-a-table`,
  },
  'change-column-type': {
    why: 'ALTER … TYPE holds an ACCESS EXCLUSIVE lock and, unless PostgreSQL can keep the stored bytes, rewrites the table and all its indexes under it: every read and write waits for the whole rewrite. Code still running may also break on the new type.',
    fix: 'Add a column of the new type, write both, backfill in batches, switch reads, then deprecate and drop the old column. Widenings that need no rewrite pass: varchar(n) → varchar(m ≥ n) or text, numeric(p,s) → numeric(p′ ≥ p,s), timestamp(p) → timestamp(p′ ≥ p).',
    docs: `${DOCS}#change-a-column-type`,
  },
  'narrow-column-type': {
    why: 'The new type cannot hold every value of the old one: values are rounded or truncated, or the migration fails halfway through a rewrite under an ACCESS EXCLUSIVE lock; code that still writes wider values starts failing.',
    fix: 'Never narrow in place: add a column of the new type, make the code write values that fit, backfill and check every row fits, switch reads, then deprecate and drop the old column.',
    docs: `${DOCS}#change-a-column-type`,
  },
  'drop-column': {
    why: 'Servers running the previous release still select or insert this column and fail as soon as the drop commits; the data is gone, so there is no rolling back.',
    fix: 'Expand → migrate → contract: ship code that no longer uses the column, mark it with `-- brisk:deprecate <table>.<column>` in a migration, and drop it in a migration at least N files later.',
    docs: `${DOCS}#drop-a-column-or-a-table`,
  },
  'drop-table': {
    why: 'Servers running the previous release still query this table and fail as soon as the drop commits; the data is gone, so there is no rolling back.',
    fix: 'Expand → migrate → contract: ship code that no longer uses the table, mark it with `-- brisk:deprecate <table>` in a migration, and drop it in a migration at least N files later.',
    docs: `${DOCS}#drop-a-column-or-a-table`,
  },
  'index-without-concurrently': {
    why: 'CREATE INDEX without CONCURRENTLY holds a SHARE lock that blocks every insert, update and delete for the whole build; DROP INDEX and REINDEX without it take an ACCESS EXCLUSIVE lock that blocks reads as well.',
    fix: 'Use CREATE INDEX CONCURRENTLY / DROP INDEX CONCURRENTLY / REINDEX (CONCURRENTLY) in a migration file whose first line is `-- brisk:no-transaction`.',
    docs: `${DOCS}#add-or-drop-an-index`,
  },
  'concurrently-in-transaction': {
    why: 'PostgreSQL refuses CONCURRENTLY inside a transaction block, and the runner wraps every file in a transaction unless its first line is `-- brisk:no-transaction`: the deploy would fail here.',
    fix: 'Move the statement to its own migration file starting with `-- brisk:no-transaction`.',
    docs: `${DOCS}#add-or-drop-an-index`,
  },
  'constraint-without-not-valid': {
    why: 'Adding a FOREIGN KEY or CHECK checks every existing row while holding a lock that blocks writes (ACCESS EXCLUSIVE for a CHECK; SHARE ROW EXCLUSIVE on both tables for a foreign key).',
    fix: 'Add it with NOT VALID (only new rows are checked; the lock is brief), then ALTER TABLE … VALIDATE CONSTRAINT in a later migration: validation lets reads and writes continue.',
    docs: `${DOCS}#add-a-foreign-key-or-a-check`,
  },
  'validate-in-same-transaction': {
    why: 'The lock taken by the NOT VALID add is held until the transaction ends, so validating in the same transaction scans the table with writes blocked: NOT VALID bought nothing.',
    fix: 'Validate in a later migration file.',
    docs: `${DOCS}#add-a-foreign-key-or-a-check`,
  },
  'set-not-null': {
    why: 'SET NOT NULL holds an ACCESS EXCLUSIVE lock while it scans the whole table for nulls: reads and writes wait for the scan.',
    fix: 'Add CHECK (column IS NOT NULL) NOT VALID, validate it in a later migration, then SET NOT NULL (PostgreSQL 12+ trusts the validated check and skips the scan) and drop the check.',
    docs: `${DOCS}#make-a-column-not-null`,
  },
  'not-null-without-default': {
    why: 'A NOT NULL column without a default cannot be added to a table that has rows, and code still running that inserts without it would fail.',
    fix: 'Add it with a constant DEFAULT (instant since PostgreSQL 11), or add it nullable, backfill, and make it NOT NULL with the set-not-null recipe.',
    docs: `${DOCS}#make-a-column-not-null`,
  },
  'volatile-default': {
    why: 'A value PostgreSQL must compute per row (random(), clock_timestamp(), gen_random_uuid(), serial, identity, stored generated column) rewrites the whole table under an ACCESS EXCLUSIVE lock. A constant or stable default such as now() is instant.',
    fix: 'Add the column without that default, then ALTER COLUMN … SET DEFAULT (it only applies to new rows) and backfill existing rows in batches.',
    docs: `${DOCS}#add-a-column`,
  },
  'add-unique-constraint': {
    why: 'ADD UNIQUE / ADD PRIMARY KEY builds the index while holding an ACCESS EXCLUSIVE lock: no reads or writes for the whole build.',
    fix: 'CREATE UNIQUE INDEX CONCURRENTLY in a `-- brisk:no-transaction` migration, then ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX (or PRIMARY KEY USING INDEX), which is instant.',
    docs: `${DOCS}#add-a-unique-constraint-or-a-primary-key`,
  },
  'prefer-text-over-char': {
    why: 'char(n) pads values with spaces, compares ignoring them, saves nothing over text, and widening it later is a table rewrite.',
    fix: 'Use text, with a CHECK on the length if the length matters.',
    docs: `${DOCS}#column-types`,
  },
  'prefer-timestamptz': {
    why: 'timestamp without time zone stores a wall-clock time with no offset: the same value means different instants for sessions in different zones, and daylight saving makes some values ambiguous.',
    fix: 'Use timestamptz: it stores an absolute instant.',
    docs: `${DOCS}#column-types`,
  },
  'prefer-bigint-identity': {
    why: 'An integer key runs out at 2,147,483,647 and widening it later rewrites the table and every referencing column; serial is a loosely attached sequence with ownership and permission quirks.',
    fix: 'Use `bigint generated always as identity primary key`.',
    docs: `${DOCS}#column-types`,
  },
  'prefer-jsonb': {
    why: 'json keeps the text verbatim and re-parses it on every access; it has no equality operator (no DISTINCT, GROUP BY or unique index) and no GIN index.',
    fix: 'Use jsonb.',
    docs: `${DOCS}#column-types`,
  },
  'missing-lock-timeout': {
    why: 'A statement waiting for a lock on a busy table (behind a long query or an open transaction) makes every later query on that table queue behind it: the table is down until the lock comes. Without lock_timeout it waits forever.',
    fix: "Set it before the first such statement: `set lock_timeout = '2s';` (the runner retries on lock timeouts with backoff). In a `-- brisk:no-transaction` file use SET, not SET LOCAL.",
    docs: `${DOCS}#every-migration`,
  },
  'transaction-control': {
    why: 'The runner runs each file in one transaction and records it in that transaction; BEGIN, COMMIT or ROLLBACK inside the file splits it, so a failure leaves part of the file applied and unrecorded.',
    fix: 'Remove the transaction statements; split the work into several migration files instead.',
    docs: `${DOCS}#every-migration`,
  },
  'allow-without-reason': {
    why: 'An exception nobody explained cannot be reviewed, or revisited when the situation changes.',
    fix: 'Write `-- brisk:allow <rule> because <why it is safe here>` on the statement.',
    docs: `${DOCS}#when-a-rule-does-not-apply`,
  },
  'invalid-directive': {
    why: 'A mistyped directive is silently ignored: `-- brisk:no-transaction` anywhere but the first line leaves the file in a transaction, an allow naming an unknown rule allows nothing, a deprecation without a target deprecates nothing.',
    fix: 'Use `-- brisk:no-transaction` as the first line, `-- brisk:allow <rule> because <reason>`, and `-- brisk:deprecate <table>[.<column>]`.',
    docs: `${DOCS}#when-a-rule-does-not-apply`,
  },
  'syntax-error': {
    why: 'PostgreSQL rejects this file, so the deploy would stop here.',
    fix: 'Fix the SQL (note that PostgreSQL does not allow RENAME together with other actions in one ALTER TABLE).',
    docs: `${DOCS}#every-migration`,
  },
} satisfies Record<string, RuleDescription>

export type RuleName = keyof typeof RULES

export const RULE_NAMES = Object.keys(RULES) as RuleName[]

export function isRuleName(name: string): name is RuleName {
  return Object.hasOwn(RULES, name)
}

/** `brisk db status`: the primary and each replica as this command finds them now. */
import type { Command } from 'commander'
import type { Db } from '../infra/db/database.ts'
import type { PrimaryState } from '../infra/db/node-status.ts'
import type { NodeState } from '../infra/db/read-router.ts'
import { curl, withDatabase } from './context.ts'

/** A replica's lag is measured against the primary's WAL position: while the primary is not up it is unknown. */
type State = PrimaryState | NodeState | 'unknown'

export interface NodeReport {
  name: string
  role: 'primary' | 'replica'
  /** host:port/database (never a password), or the embedded database's folder */
  address: string
  state: State
  /** the primary's WAL position, or what a replica has replayed */
  walLsn: string | null
  lagBytes: number | null
  lagMs: number | null
  error?: string
}

export interface StatusReport {
  kind: Db['kind']
  /** the primary answers and takes writes: the exit code is 0 exactly then */
  primaryUp: boolean
  /** BRISK_REPLICA_MAX_LAG_MS, with replicas */
  maxLagMs: number | null
  nodes: NodeReport[]
}

/** describeUrl() (connect.ts) writes "PostgreSQL host:port/db"; the table's role column says the rest. */
function addressOf(description: string): string {
  return description.replace(/^PostgreSQL /, '')
}

async function statusReport(db: Db): Promise<StatusReport> {
  const { checkPrimary, replicaLag } = await import('../infra/db/node-status.ts')
  const [primary] = await Promise.all([checkPrimary(db), db.replicas?.checkLag()])
  const router = db.replicas?.status()
  const replicas = (router?.nodes ?? []).map((node): NodeReport => {
    const measured = primary.state === 'up' || node.state === 'down'
    return {
      name: node.name,
      role: 'replica',
      address: addressOf(node.address ?? '-'),
      state: measured ? node.state : 'unknown',
      walLsn: measured ? (node.replayedLsn ?? null) : null,
      ...(measured ? replicaLag(node) : { lagBytes: null, lagMs: null }),
    }
  })
  const primaryNode: NodeReport = {
    name: 'primary',
    role: 'primary',
    address: db.kind === 'pglite' ? db.description : addressOf(db.description),
    state: primary.state,
    walLsn: primary.walLsn,
    lagBytes: null,
    lagMs: null,
    ...(primary.error === undefined ? {} : { error: primary.error }),
  }
  return { kind: db.kind, primaryUp: primary.state === 'up', maxLagMs: router?.maxLagMs ?? null, nodes: [primaryNode, ...replicas] }
}

function renderTable(headers: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function printStatus(report: StatusReport): void {
  const figure = (n: number | null) => (n === null ? '-' : String(Math.round(n)))
  const rows = report.nodes.map((n) => [n.name, n.role, n.address, n.state, n.walLsn ?? '-', figure(n.lagBytes), figure(n.lagMs)])
  console.log(renderTable(['node', 'role', 'address', 'state', 'WAL position', 'lag bytes', 'lag ms'], rows, new Set([5, 6])))
  const [primary, ...replicas] = report.nodes
  if (primary?.error) console.log(`\nThe primary does not answer: ${primary.error}`)
  if (primary?.state === 'read-only') console.log('\nThe primary is read-only (demoted, or in recovery): writes are refused.')
  if (report.kind === 'pglite') {
    console.log('\nNo replicas: the primary is the embedded database (PGlite), which has none. Replicas follow a PostgreSQL')
    console.log('primary: set BRISK_DATABASE_URL and BRISK_REPLICA_URLS.')
  } else if (replicas.length === 0) {
    console.log('\nNo replicas (BRISK_REPLICA_URLS is not set): every read goes to the primary.')
  } else {
    if (replicas.some((r) => r.state === 'unknown')) console.log("\nThe replicas' state is unknown: their lag is measured against the primary, which is not up.")
    for (const r of replicas.filter((r) => r.state !== 'down' && r.state !== 'unknown' && r.walLsn === null)) {
      console.log(`\n${r.name} replays no WAL: it is not in recovery (promoted, or no standby at all).`)
    }
    for (const r of replicas.filter((r) => r.state === 'lagging')) {
      console.log(`\n${r.name} is further behind than ${report.maxLagMs} ms (BRISK_REPLICA_MAX_LAG_MS): it serves no reads until it catches up.`)
    }
  }
}

export function register(program: Command, summary: string): void {
  const db = program.command('db').summary(summary).description(summary)

  db.command('status')
    .description(
      'Connect to the configured database (BRISK_DATABASE_URL, its replicas in BRISK_REPLICA_URLS, or the embedded one), ' +
        "check every replica's lag once, and print one line per node: role, address (host:port/database, never a " +
        'password), state, WAL position (what the primary wrote, what a replica replayed) and lag in bytes and ms.\n\n' +
        'States: the primary is up, down or read-only (it answers but refuses writes); a replica is up (it serves reads), ' +
        'down (unreachable), lagging (further behind than BRISK_REPLICA_MAX_LAG_MS) or unknown (the primary, which its lag ' +
        'is measured against, is not up).\n\n' +
        'Exit code: 0 when the primary is up (answers and takes writes), 1 when it is down or read-only — whatever the ' +
        "replicas' state, which a running server works around. A running server shows its own view at /health/details " +
        'and /metrics.',
    )
    .option('--json', 'print the same as JSON: { kind, primaryUp, maxLagMs, nodes: [{ name, role, address, state, walLsn, lagBytes, lagMs, error? }] }')
    .addHelpText('after', '\nExamples:\n  brisk db status\n  brisk db status --json | jq \'.nodes[] | select(.state != "up")\'')
    .action(async (options: { json?: boolean }) => {
      const report = await withDatabase(statusReport, {
        whenLocked: {
          note: 'The embedded database is open in a running server: it has no replicas, and the server answers for it.',
          api: (url) => [curl('GET', `${url}/health/details`)],
        },
      })
      if (options.json) console.log(JSON.stringify(report, null, 2))
      else printStatus(report)
      process.exitCode = report.primaryUp ? 0 : 1
    })
}

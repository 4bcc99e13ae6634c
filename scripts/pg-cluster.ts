/**
 * `npm run cluster`: a PostgreSQL primary with two streaming replicas on this machine, for trying
 * Brisk with replicas by hand. Prints the URLs to export; Ctrl+C stops it and deletes its folder.
 */
import { startPgCluster } from '../src/infra/pg-cluster/pg-cluster.ts'

const replicas = Number(process.argv[2] ?? 2)
if (!Number.isInteger(replicas) || replicas < 0) {
  console.error(`usage: npm run cluster [-- <number of replicas, 2 unless told>]`)
  process.exit(2)
}

console.log(`starting a PostgreSQL primary with ${replicas} streaming replica(s)…`)
let cluster: Awaited<ReturnType<typeof startPgCluster>>
try {
  cluster = await startPgCluster({ replicas })
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
console.log(`\nprimary   ${cluster.primary.url}`)
for (const replica of cluster.replicas) console.log(`${replica.name.padEnd(9)} ${replica.url}`)
console.log(`folder    ${cluster.folder}\n`)
console.log(`export BRISK_DATABASE_URL=${cluster.primary.url}`)
console.log(`export BRISK_REPLICA_URLS=${cluster.replicas.map((replica) => replica.url).join(',')}`)
console.log('\nCtrl+C stops every server and deletes the folder.')
// The harness's own exit hook tears the cluster down on SIGINT/SIGTERM; until then, keep running.
setInterval(() => {}, 2 ** 30)

// Updates one credential with Seam's official JavaScript client, for benches/run.sh.
//
// Usage: node update.mjs ENDPOINT ACS_CREDENTIAL_ID [COUNT]
//
// The API key comes from SEAM_API_KEY. The client sends through Node's fetch, which trusts
// the CA file named by NODE_EXTRA_CA_CERTS, read at start. run.sh unsets proxy variables.
// Without COUNT it sends one update and exits. With COUNT it sends one update to open the
// connection, then COUNT more on the same client, and prints the CPU and wall time per
// update of those COUNT calls as `updates=N cpu_us=X wall_us=Y`.

import { SeamHttp } from '@seamapi/http'

const [endpoint, credentialId, countArgument] = process.argv.slice(2)
if (endpoint === undefined || credentialId === undefined) {
  console.error('usage: node update.mjs ENDPOINT ACS_CREDENTIAL_ID [COUNT]')
  process.exit(2)
}
const count = countArgument === undefined ? 0 : Number.parseInt(countArgument, 10)

const seam = SeamHttp.fromApiKey(process.env.SEAM_API_KEY, { endpoint })
const update = () =>
  seam.acs.credentials.update({ acs_credential_id: credentialId, code: '1234' })

await update()
if (count > 0) {
  const cpuStart = process.cpuUsage()
  const wallStart = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    await update()
  }
  const wallUs = Number(process.hrtime.bigint() - wallStart) / 1000
  const cpu = process.cpuUsage(cpuStart)
  const cpuUs = cpu.user + cpu.system
  console.log(
    `updates=${count} cpu_us=${(cpuUs / count).toFixed(1)} wall_us=${(wallUs / count).toFixed(1)}`,
  )
}

// Runs dynalite's own command line, but keeps serving when a client goes away mid-request.
//
// dynalite 4.0.0 (index.js, httpHandler) does `req.on('error', function (err) { throw err })`,
// so one client that closes its connection before its request body is complete (Node emits
// 'aborted' / ECONNRESET on the request) ends the whole DynamoDB process and every table with
// it. Real DynamoDB does not care that a caller died; the API process being SIGKILLed with
// calls in flight is exactly what the crash tests do. This wrapper swallows that one error
// (logging it) and lets anything else end the process as before.
//
// Usage: node dynalite_server.js <path to dynalite/cli.js> [dynalite options...]
'use strict'

const cli = process.argv[2]
if (!cli) {
  console.error('usage: node dynalite_server.js <dynalite cli.js> [options]')
  process.exit(2)
}
process.argv.splice(2, 1)

function isClientAbort (err) {
  return Boolean(err) && (err.code === 'ECONNRESET' || err.message === 'aborted')
}

process.on('uncaughtException', function (err) {
  if (isClientAbort(err)) {
    console.error('dynalite: a client closed its connection mid-request (%s); still serving', err.code || err.message)
    return
  }
  console.error(err && err.stack ? err.stack : err)
  process.exit(1)
})

require(cli)

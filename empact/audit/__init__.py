"""The append-only, hash-chained audit log: `log.record()` writes it, `verify.verify()`
checks it, `empact audit verify` runs the check, /audit/ lets an auditor search and
export it. It imports nothing of ours but `empact.errors` and, in its views only,
`empact.accounts.permissions`."""

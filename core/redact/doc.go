// Package redact is the one place rcsd removes a secret (the grader's API
// key) from text before the text is shown, truncated or stored: the
// network clients (core/remote, core/grader) pass every grader reply and
// error body through it, and so do the llm judge, the CLI's reply cache,
// the HTML report and the HTTP API's replies (rcsd serve and the Worker),
// so the key never leaves in a record, a cache file, a report, a summary,
// a log line or a reply.
//
// A Redactor replaces, with "[redacted]":
//
//   - the whole secret;
//   - any run of text made of fragments of it at least MinFragment (8)
//     bytes long: every 8-byte window of the text that also occurs in the
//     secret is covered, so a secret cut by a truncation (an error body
//     quoted to 200 bytes) or echoed in pieces never survives by more
//     than 7 bytes in a row. Shorter fragments are left: 7 bytes and less
//     of a random key occur by chance in ordinary text ("sk-proj" is 7),
//     and redacting them would garble replies while telling an attacker
//     nothing a guess could not;
//   - the value of any "Bearer <token>" (any token, the secret's or not)
//     and of any "Authorization" header or field, whatever the key, so a
//     server that echoes the request's headers leaks no credential.
//
// Redaction runs before text is truncated (a cut cannot split the secret
// into pieces the checks miss) and before it is stored. It is
// conservative: a rare false match redacts a few harmless bytes of a
// reply, never the other way round.
//
// The package does no I/O and never reads the environment: the host gives
// the secret.
package redact
